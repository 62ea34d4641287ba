/**
 * State port: fast shared state for the control plane and runners. Adapters: Redis (ioredis)
 * and in-process memory. Both pass state-store.contract.ts.
 * Holds routing-table versions and pub/sub invalidation, heartbeats, metric windows,
 * rate-limit counters, leases, and the async queue (streams with consumer groups).
 */
import type { TokenRate, TokenTake } from "./token-bucket.ts";

export interface SetOptions {
  /** Expire the key after this many milliseconds. */
  ttlMs?: number;
  /** Only set when the key does not exist (SET NX). */
  ifNotExists?: boolean;
}

/** A held lease. `token` is a fencing token: strictly increasing across all holders of the same lease name. */
export interface Lease {
  name: string;
  holder: string;
  token: number;
  expiresAt: number;
}

export interface StreamEntry {
  id: string;
  fields: Record<string, string>;
  /** How many times this entry was delivered to a consumer of the group (1 on first delivery). */
  deliveries?: number;
}

export interface ReadGroupOptions {
  count?: number;
  /** Block up to this long waiting for new entries; 0 or undefined = do not block. */
  blockMs?: number;
}

export type Unsubscribe = () => Promise<void>;

export type { TokenRate, TokenTake };

export interface StateStore {
  readonly kind: "redis" | "memory";

  get(key: string): Promise<string | null>;
  /** Returns false when ifNotExists was set and the key existed. */
  set(key: string, value: string, opts?: SetOptions): Promise<boolean>;
  del(key: string): Promise<boolean>;
  /** Atomically add `by` (default 1) and return the new value. ttlMs, if given, is set when the key is created. */
  incr(key: string, by?: number, opts?: { ttlMs?: number }): Promise<number>;
  /** Remaining TTL in ms, -1 when the key has no TTL, -2 when it does not exist. */
  ttl(key: string): Promise<number>;

  /**
   * Hash operations, used for metric windows (histogram buckets) and small records.
   * hincrby: ttlMs, if given, is set when the key is created (a metric window keeps its original expiry).
   */
  hincrby(key: string, field: string, by: number, opts?: { ttlMs?: number }): Promise<number>;
  /** hset: ttlMs, if given, (re)sets the key's expiry on every call (heartbeat records stay alive while refreshed). */
  hset(key: string, fields: Record<string, string>, opts?: { ttlMs?: number }): Promise<void>;
  hgetall(key: string): Promise<Record<string, string>>;
  /** Remove fields of a hash (the hash goes when its last field does); resolves how many existed. */
  hdel(key: string, fields: string[]): Promise<number>;

  /**
   * Rate-limit counter: take one token from the bucket `key` (created full, `rate.burst` tokens,
   * refilled at `rate.rps` a second). Atomic across every client of the store (one Lua script on
   * Redis, timed by the Redis server's clock); an untouched bucket expires once it would be full.
   */
  takeToken(key: string, rate: TokenRate): Promise<TokenTake>;

  /**
   * Acquire `name` for `holder` if free or expired (or already held by holder). Null when someone else holds it.
   * Every successful acquire issues a new, larger token, so a re-acquire supersedes the holder's previous Lease object.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | null>;
  /** Extend a lease still held with the same token. Null when it was lost. */
  renewLease(lease: Lease, ttlMs: number): Promise<Lease | null>;
  /** Release if still held with the same token. */
  releaseLease(lease: Lease): Promise<boolean>;

  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<Unsubscribe>;

  /** Append to a stream; returns the entry id. maxLen trims approximately to that length. */
  xadd(stream: string, fields: Record<string, string>, opts?: { maxLen?: number }): Promise<string>;
  /** Create a consumer group (idempotent). startId "$" = only new entries, "0" = from the beginning. Creates the stream if needed. */
  createGroup(stream: string, group: string, startId?: "$" | "0"): Promise<void>;
  /**
   * Read new entries for a consumer of a group (XREADGROUP ... >). Entries stay pending until acked.
   * Without `count`, returns every new entry. Rejects (message containing NOGROUP) when the group does not exist.
   * A read blocked in `blockMs` resolves [] when the store is closed.
   */
  readGroup(stream: string, group: string, consumer: string, opts?: ReadGroupOptions): Promise<StreamEntry[]>;
  ack(stream: string, group: string, ids: string[]): Promise<number>;
  /**
   * Claim entries pending at least minIdleMs (from crashed consumers) for `consumer` (XAUTOCLAIM), at most `count`
   * (default 100). Each claim counts as a delivery, so a first re-delivery reports deliveries = 2.
   */
  claimStale(stream: string, group: string, consumer: string, minIdleMs: number, count?: number): Promise<StreamEntry[]>;
  /** Number of entries delivered to the group and not yet acknowledged. Rejects (NOGROUP) when the group does not exist. */
  pendingCount(stream: string, group: string): Promise<number>;

  /** Throws when the store is unreachable. */
  ping(): Promise<void>;
  /** Release connections and timers and wake blocked readers. Later calls reject; close() itself is idempotent. */
  close(): Promise<void>;
}
