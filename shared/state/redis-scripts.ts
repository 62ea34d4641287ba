/**
 * Lua scripts for the operations Redis has no single command for: counters whose TTL is set only when
 * the key is created, leases with fencing tokens, and rate-limit token buckets. Each runs atomically on the server, so two
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

/**
 * token-bucket.ts's takeToken, atomically: hash { t: tokens, at: ms } refilled by the server's
 * clock (TIME, so replicas with skewed clocks agree). Returns { allowed 1|0, retryAfterMs, tokens left as a string }
 * (a Lua number would come back truncated to an integer).
 * ARGV: rps, burst, ttlMs.
 */
const TOKEN_BUCKET_TAKE = `
local rps = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local cur = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = burst
if cur[1] then
  local elapsed = math.max(0, now - tonumber(cur[2]))
  tokens = math.min(burst, tonumber(cur[1]) + elapsed * rps / 1000)
end
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.max(1, math.ceil((1 - tokens) * 1000 / rps))
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return { allowed, wait, tostring(tokens) }`;

type Arg = string | number;

/** The scripts as typed methods (ioredis's defineCommand adds them untyped; it uses EVALSHA with an EVAL fallback). */
export interface StateScripts {
  leaseAcquire(leaseKey: string, fenceKey: string, holder: string, ttlMs: number): Promise<number>;
  leaseRenew(leaseKey: string, holder: string, token: string, ttlMs: number): Promise<number>;
  leaseRelease(leaseKey: string, holder: string, token: string): Promise<number>;
  incrWithTtl(key: string, by: number, ttlMs: number): Promise<number>;
  hincrbyWithTtl(key: string, field: string, by: number, ttlMs: number): Promise<number>;
  tokenBucketTake(key: string, rps: number, burst: number, ttlMs: number): Promise<[allowed: number, retryAfterMs: number, remaining: string]>;
}

export function defineStateScripts(redis: Redis): StateScripts {
  const scripts = {
    hsLeaseAcquire: { numberOfKeys: 2, lua: LEASE_ACQUIRE },
    hsLeaseRenew: { numberOfKeys: 1, lua: LEASE_RENEW },
    hsLeaseRelease: { numberOfKeys: 1, lua: LEASE_RELEASE },
    hsIncrWithTtl: { numberOfKeys: 1, lua: INCR_WITH_TTL },
    hsHincrbyWithTtl: { numberOfKeys: 1, lua: HINCRBY_WITH_TTL },
    hsTokenBucketTake: { numberOfKeys: 1, lua: TOKEN_BUCKET_TAKE },
  };
  for (const [name, def] of Object.entries(scripts)) redis.defineCommand(name, def);
  const r = redis as unknown as Record<keyof typeof scripts, (...args: Arg[]) => Promise<number>>;
  const pair = redis as unknown as { hsTokenBucketTake(...args: Arg[]): Promise<[number, number, string]> };
  return {
    leaseAcquire: (leaseKey, fenceKey, holder, ttlMs) => r.hsLeaseAcquire(leaseKey, fenceKey, holder, ttlMs),
    leaseRenew: (leaseKey, holder, token, ttlMs) => r.hsLeaseRenew(leaseKey, holder, token, ttlMs),
    leaseRelease: (leaseKey, holder, token) => r.hsLeaseRelease(leaseKey, holder, token),
    incrWithTtl: (key, by, ttlMs) => r.hsIncrWithTtl(key, by, ttlMs),
    hincrbyWithTtl: (key, field, by, ttlMs) => r.hsHincrbyWithTtl(key, field, by, ttlMs),
    tokenBucketTake: (key, rps, burst, ttlMs) => pair.hsTokenBucketTake(key, rps, burst, ttlMs),
  };
}
