/**
 * Lua scripts for the operations Redis has no single command for: counters whose TTL is set only when
 * the key is created, and leases with fencing tokens. Each runs atomically on the server, so two
 * control-plane replicas can never both believe they hold a lease.
 */
import type { Redis } from "ioredis";

/** Lease record: hash { holder, token } with the lease TTL. KEYS[2] is the fence counter, which never expires. */
const LEASE_ACQUIRE = `
local holder = redis.call('HGET', KEYS[1], 'holder')
if holder and holder ~= ARGV[1] then return -1 end
local token = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'token', token)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return token`;

/** Renew and release compare holder and token: a holder whose lease expired and was taken over is refused. */
const LEASE_RENEW = `
local cur = redis.call('HMGET', KEYS[1], 'holder', 'token')
if cur[1] == ARGV[1] and cur[2] == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0`;

const LEASE_RELEASE = `
local cur = redis.call('HMGET', KEYS[1], 'holder', 'token')
if cur[1] == ARGV[1] and cur[2] == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

const INCR_WITH_TTL = `
local existed = redis.call('EXISTS', KEYS[1])
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if existed == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value`;

const HINCRBY_WITH_TTL = `
local existed = redis.call('EXISTS', KEYS[1])
local value = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if existed == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return value`;

type Arg = string | number;

/** The scripts as typed methods (ioredis's defineCommand adds them untyped; it uses EVALSHA with an EVAL fallback). */
export interface StateScripts {
  leaseAcquire(leaseKey: string, fenceKey: string, holder: string, ttlMs: number): Promise<number>;
  leaseRenew(leaseKey: string, holder: string, token: string, ttlMs: number): Promise<number>;
  leaseRelease(leaseKey: string, holder: string, token: string): Promise<number>;
  incrWithTtl(key: string, by: number, ttlMs: number): Promise<number>;
  hincrbyWithTtl(key: string, field: string, by: number, ttlMs: number): Promise<number>;
}

export function defineStateScripts(redis: Redis): StateScripts {
  const scripts = {
    hsLeaseAcquire: { numberOfKeys: 2, lua: LEASE_ACQUIRE },
    hsLeaseRenew: { numberOfKeys: 1, lua: LEASE_RENEW },
    hsLeaseRelease: { numberOfKeys: 1, lua: LEASE_RELEASE },
    hsIncrWithTtl: { numberOfKeys: 1, lua: INCR_WITH_TTL },
    hsHincrbyWithTtl: { numberOfKeys: 1, lua: HINCRBY_WITH_TTL },
  };
  for (const [name, def] of Object.entries(scripts)) redis.defineCommand(name, def);
  const r = redis as unknown as Record<keyof typeof scripts, (...args: Arg[]) => Promise<number>>;
  return {
    leaseAcquire: (leaseKey, fenceKey, holder, ttlMs) => r.hsLeaseAcquire(leaseKey, fenceKey, holder, ttlMs),
    leaseRenew: (leaseKey, holder, token, ttlMs) => r.hsLeaseRenew(leaseKey, holder, token, ttlMs),
    leaseRelease: (leaseKey, holder, token) => r.hsLeaseRelease(leaseKey, holder, token),
    incrWithTtl: (key, by, ttlMs) => r.hsIncrWithTtl(key, by, ttlMs),
    hincrbyWithTtl: (key, field, by, ttlMs) => r.hsHincrbyWithTtl(key, field, by, ttlMs),
  };
}
