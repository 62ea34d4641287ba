/**
 * Embedded state adapter (`npm start`, single node): one keyspace of strings, hashes and streams with
 * Redis-like TTLs (lazy expiry on access plus a periodic sweep), leases with per-name fencing counters,
 * pub/sub that delivers asynchronously, and blocking stream reads woken by xadd. Not a mock: it passes
 * the same contract suite as the Redis adapter.
 */
import { MemoryStream, noGroupError } from "./memory-streams.ts";
import type { Lease, ReadGroupOptions, SetOptions, StateStore, StreamEntry, Unsubscribe } from "./state-store.ts";
import { checkBlockMs, checkCount, checkFields, checkIncrement, checkTtl } from "./state-validation.ts";
import { bucketTtlMs, checkTokenRate, takeToken, type BucketState, type TokenRate, type TokenTake } from "./token-bucket.ts";

type Value =
  | { type: "string"; value: string }
  | { type: "hash"; value: Map<string, string> }
  | { type: "stream"; value: MemoryStream };

interface Slot {
  data: Value;
  /** Epoch ms; null = no expiry. */
  expiresAt: number | null;
}

interface HeldLease {
  holder: string;
  token: number;
  expiresAt: number;
}

export interface MemoryStateStoreOptions {
  /** How often expired keys and leases are swept; reads expire lazily regardless. @default 1000 */
  sweepIntervalMs?: number;
  /** Called when a subscriber's handler throws. @default logs to stderr */
  onHandlerError?: (err: unknown, channel: string) => void;
}

const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INTEGER = "ERR value is not an integer or out of range";

export class MemoryStateStore implements StateStore {
  readonly kind = "memory" as const;

  private keys = new Map<string, Slot>();
  private leases = new Map<string, HeldLease>();
  /** Fence counters outlive their leases so tokens keep growing across holders. */
  private fences = new Map<string, number>();
  private channels = new Map<string, Set<(message: string) => void>>();
  /** Blocked readGroup calls per stream name, woken on xadd and close. */
  private waiters = new Map<string, Set<() => void>>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onHandlerError: (err: unknown, channel: string) => void;

  constructor(opts: MemoryStateStoreOptions = {}) {
    checkCount(opts.sweepIntervalMs, "sweepIntervalMs");
    this.onHandlerError =
      opts.onHandlerError ?? ((err, channel) => console.error(`state: subscriber of "${channel}" threw`, err));
    this.sweeper = setInterval(() => this.sweepExpired(), opts.sweepIntervalMs ?? 1000);
    this.sweeper.unref();
  }

  async get(key: string): Promise<string | null> {
    const slot = this.live(key);
    if (!slot) return null;
    if (slot.data.type !== "string") throw new Error(WRONGTYPE);
    return slot.data.value;
  }

  async set(key: string, value: string, opts: SetOptions = {}): Promise<boolean> {
    this.assertOpen();
    checkTtl(opts.ttlMs);
    if (opts.ifNotExists && this.live(key)) return false;
    this.keys.set(key, { data: { type: "string", value }, expiresAt: this.expiry(opts.ttlMs) });
    return true;
  }

  async del(key: string): Promise<boolean> {
    const existed = this.live(key) !== undefined;
    this.keys.delete(key);
    return existed;
  }

  async incr(key: string, by = 1, opts: { ttlMs?: number } = {}): Promise<number> {
    this.assertOpen();
    checkIncrement(by);
    checkTtl(opts.ttlMs);
    const slot = this.live(key);
    if (!slot) {
      this.keys.set(key, { data: { type: "string", value: String(by) }, expiresAt: this.expiry(opts.ttlMs) });
      return by;
    }
    if (slot.data.type !== "string") throw new Error(WRONGTYPE);
    const next = parseInteger(slot.data.value) + by;
    if (!Number.isSafeInteger(next)) throw new Error(NOT_INTEGER);
    slot.data.value = String(next);
    return next;
  }

  async ttl(key: string): Promise<number> {
    const slot = this.live(key);
    if (!slot) return -2;
    return slot.expiresAt === null ? -1 : Math.max(0, slot.expiresAt - Date.now());
  }

  async hincrby(key: string, field: string, by: number, opts: { ttlMs?: number } = {}): Promise<number> {
    this.assertOpen();
    checkIncrement(by);
    checkTtl(opts.ttlMs);
    const hash = this.hashFor(key, opts.ttlMs);
    const current = hash.get(field);
    const next = (current === undefined ? 0 : parseInteger(current)) + by;
    if (!Number.isSafeInteger(next)) throw new Error(NOT_INTEGER);
    hash.set(field, String(next));
    return next;
  }

  async hset(key: string, fields: Record<string, string>, opts: { ttlMs?: number } = {}): Promise<void> {
    this.assertOpen();
    checkTtl(opts.ttlMs);
    const entries = Object.entries(fields);
    if (entries.length === 0) return;
    const hash = this.hashFor(key, opts.ttlMs);
    for (const [f, v] of entries) hash.set(f, v);
    if (opts.ttlMs !== undefined) this.keys.get(key)!.expiresAt = this.expiry(opts.ttlMs);
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    const slot = this.live(key);
    if (!slot) return {};
    if (slot.data.type !== "hash") throw new Error(WRONGTYPE);
    return Object.fromEntries(slot.data.value);
  }

  async hdel(key: string, fields: string[]): Promise<number> {
    this.assertOpen();
    const slot = this.live(key);
    if (!slot) return 0;
    if (slot.data.type !== "hash") throw new Error(WRONGTYPE);
    let n = 0;
    for (const f of fields) if (slot.data.value.delete(f)) n++;
    if (slot.data.value.size === 0) this.keys.delete(key);
    return n;
  }

  async takeToken(key: string, rate: TokenRate): Promise<TokenTake> {
    this.assertOpen();
    checkTokenRate(rate);
    const ttlMs = bucketTtlMs(rate);
    // Stored as Redis stores it (hash { t, at }), so a key holding something else fails the same way.
    const hash = this.hashFor(key, ttlMs);
    const t = hash.get("t");
    const prior: BucketState | undefined = t === undefined ? undefined : { tokens: Number(t), at: Number(hash.get("at")) };
    const { state, take } = takeToken(prior, rate, Date.now());
    hash.set("t", String(state.tokens));
    hash.set("at", String(state.at));
    this.keys.get(key)!.expiresAt = this.expiry(ttlMs);
    return take;
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | null> {
    this.assertOpen();
    checkTtl(ttlMs);
    const now = Date.now();
    const current = this.leases.get(name);
    if (current && current.expiresAt > now && current.holder !== holder) return null;
    const token = (this.fences.get(name) ?? 0) + 1;
    this.fences.set(name, token);
    const held = { holder, token, expiresAt: now + ttlMs };
    this.leases.set(name, held);
    return { name, ...held };
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<Lease | null> {
    this.assertOpen();
    checkTtl(ttlMs);
    const held = this.heldBy(lease);
    if (!held) return null;
    held.expiresAt = Date.now() + ttlMs;
    return { name: lease.name, ...held };
  }

  async releaseLease(lease: Lease): Promise<boolean> {
    this.assertOpen();
    if (!this.heldBy(lease)) return false;
    this.leases.delete(lease.name);
    return true;
  }

  async publish(channel: string, message: string): Promise<void> {
    this.assertOpen();
    const handlers = this.channels.get(channel);
    if (!handlers || handlers.size === 0) return;
    // Like Redis: the receivers are those subscribed at publish time, and delivery happens later.
    const receivers = [...handlers];
    setImmediate(() => {
      if (this.closed) return;
      for (const handler of receivers) {
        try {
          handler(message);
        } catch (err) {
          this.onHandlerError(err, channel);
        }
      }
    });
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<Unsubscribe> {
    this.assertOpen();
    let handlers = this.channels.get(channel);
    if (!handlers) this.channels.set(channel, (handlers = new Set()));
    // Wrap so the same function subscribed twice is two subscriptions, each removable on its own.
    const subscription = (message: string) => onMessage(message);
    handlers.add(subscription);
    return async () => {
      const set = this.channels.get(channel);
      if (!set) return;
      set.delete(subscription);
      if (set.size === 0) this.channels.delete(channel);
    };
  }

  async xadd(stream: string, fields: Record<string, string>, opts: { maxLen?: number } = {}): Promise<string> {
    this.assertOpen();
    checkCount(opts.maxLen, "maxLen");
    checkFields(fields);
    const id = this.streamFor(stream, true)!.add(fields, Date.now(), opts.maxLen);
    const waiting = this.waiters.get(stream);
    if (waiting) for (const wake of [...waiting]) wake();
    return id;
  }

  async createGroup(stream: string, group: string, startId: "$" | "0" = "$"): Promise<void> {
    this.assertOpen();
    this.streamFor(stream, true)!.createGroup(group, startId);
  }

  async readGroup(stream: string, group: string, consumer: string, opts: ReadGroupOptions = {}): Promise<StreamEntry[]> {
    this.assertOpen();
    checkCount(opts.count, "count");
    checkBlockMs(opts.blockMs);
    const deadline = Date.now() + (opts.blockMs ?? 0);
    for (;;) {
      const s = this.streamFor(stream, false);
      if (!s || !s.hasGroup(group)) throw noGroupError(stream, group);
      const entries = s.readGroup(group, consumer, Date.now(), opts.count);
      if (entries.length > 0 || this.closed) return entries;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return [];
      await this.waitForAdd(stream, remaining);
      if (this.closed) return [];
    }
  }

  async ack(stream: string, group: string, ids: string[]): Promise<number> {
    this.assertOpen();
    return this.streamFor(stream, false)?.ack(group, ids) ?? 0;
  }

  async claimStale(stream: string, group: string, consumer: string, minIdleMs: number, count = 100): Promise<StreamEntry[]> {
    this.assertOpen();
    checkCount(count, "count");
    if (!Number.isSafeInteger(minIdleMs) || minIdleMs < 0) throw new RangeError(`minIdleMs must be a non-negative integer, got ${minIdleMs}`);
    const s = this.streamFor(stream, false);
    if (!s) throw noGroupError(stream, group);
    return s.claimStale(group, consumer, minIdleMs, Date.now(), count);
  }

  async pendingCount(stream: string, group: string): Promise<number> {
    this.assertOpen();
    const s = this.streamFor(stream, false);
    if (!s) throw noGroupError(stream, group);
    return s.pendingCount(group);
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const set of this.waiters.values()) for (const wake of [...set]) wake();
    this.waiters.clear();
    this.channels.clear();
  }

  /** Drop expired keys and leases; returns how many were removed. Runs on a timer; public for tests. */
  sweepExpired(now = Date.now()): number {
    let removed = 0;
    for (const [key, slot] of this.keys) {
      if (slot.expiresAt !== null && slot.expiresAt <= now) {
        this.keys.delete(key);
        removed++;
      }
    }
    for (const [name, lease] of this.leases) {
      if (lease.expiresAt <= now) {
        this.leases.delete(name);
        removed++;
      }
    }
    return removed;
  }

  /** The slot for `key` unless missing or expired (expired slots are removed on the way). */
  private live(key: string): Slot | undefined {
    this.assertOpen();
    const slot = this.keys.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt !== null && slot.expiresAt <= Date.now()) {
      this.keys.delete(key);
      return undefined;
    }
    return slot;
  }

  /** The hash at `key`, created (with ttlMs as its expiry) when missing. */
  private hashFor(key: string, ttlMs: number | undefined): Map<string, string> {
    const slot = this.live(key);
    if (!slot) {
      const value = new Map<string, string>();
      this.keys.set(key, { data: { type: "hash", value }, expiresAt: this.expiry(ttlMs) });
      return value;
    }
    if (slot.data.type !== "hash") throw new Error(WRONGTYPE);
    return slot.data.value;
  }

  private streamFor(stream: string, create: boolean): MemoryStream | undefined {
    const slot = this.live(stream);
    if (!slot) {
      if (!create) return undefined;
      const value = new MemoryStream(stream);
      this.keys.set(stream, { data: { type: "stream", value }, expiresAt: null });
      return value;
    }
    if (slot.data.type !== "stream") throw new Error(WRONGTYPE);
    return slot.data.value;
  }

  /** Resolves on the next xadd to `stream`, on close, or after timeoutMs, whichever comes first. */
  private waitForAdd(stream: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(stream);
      if (!set) this.waiters.set(stream, (set = new Set()));
      const wake = () => {
        clearTimeout(timer);
        const current = this.waiters.get(stream);
        current?.delete(wake);
        if (current?.size === 0) this.waiters.delete(stream);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      set.add(wake);
    });
  }

  private heldBy(lease: Lease): HeldLease | undefined {
    const held = this.leases.get(lease.name);
    if (!held || held.expiresAt <= Date.now()) return undefined;
    return held.holder === lease.holder && held.token === lease.token ? held : undefined;
  }

  private expiry(ttlMs: number | undefined): number | null {
    return ttlMs === undefined ? null : Date.now() + ttlMs;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("state store is closed");
  }
}

/** Redis accepts only canonical decimal integers as counter values. */
function parseInteger(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new Error(NOT_INTEGER);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(NOT_INTEGER);
  return n;
}
