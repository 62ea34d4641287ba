/**
 * Production state adapter on Redis (ioredis). Three kinds of connection: one for commands, one
 * subscriber (lazily, for pub/sub), and a small pool for blocking XREADGROUP so a blocked reader never
 * stalls other commands. Every key and channel carries `keyPrefix`. Errors reject with a message that
 * names the server ("Redis at host:port") and never its password.
 */
import { Redis } from "ioredis";
import {
  MAX_RECONNECTS_PER_COMMAND,
  PING_TIMEOUT_MS,
  blockingConnectionOptions,
  closeConnection,
  commandConnectionOptions,
  describeRedisUrl,
  withTimeout,
} from "./redis-connection.ts";
import { defineStateScripts, type StateScripts } from "./redis-scripts.ts";
import { RedisSubscriptions } from "./redis-subscriptions.ts";
import type { Lease, ReadGroupOptions, SetOptions, StateStore, StreamEntry, Unsubscribe } from "./state-store.ts";
import { checkBlockMs, checkCount, checkFields, checkIncrement, checkTtl } from "./state-validation.ts";
import { bucketTtlMs, checkTokenRate, type TokenRate, type TokenTake } from "./token-bucket.ts";

export interface RedisStateStoreOptions {
  /** @example "redis://:password@redis:6379/0" */
  url: string;
  /** Prepended to every key and channel, so several environments or tests can share one server. @default "" */
  keyPrefix?: string;
  /** Called when a subscriber's handler throws. @default logs to stderr */
  onHandlerError?: (err: unknown, channel: string) => void;
}

/** Idle blocking connections kept for reuse; more are opened on demand and closed after use. */
const MAX_IDLE_BLOCKING = 4;

type RawEntry = [id: string, fields: string[] | null];

export class RedisStateStore implements StateStore {
  readonly kind = "redis" as const;

  private readonly where: string;
  private readonly prefix: string;
  private readonly cmd: Redis;
  private readonly scripts: StateScripts;
  private readonly subscriptions: RedisSubscriptions;
  private idleBlocking: Redis[] = [];
  private busyBlocking = new Set<Redis>();
  private lastError: Error | undefined;
  private closed = false;

  constructor(private readonly opts: RedisStateStoreOptions) {
    this.where = describeRedisUrl(opts.url);
    this.prefix = opts.keyPrefix ?? "";
    this.cmd = this.open(commandConnectionOptions());
    this.scripts = defineStateScripts(this.cmd);
    const onHandlerError =
      opts.onHandlerError ?? ((err, channel) => console.error(`state: subscriber of "${channel}" threw`, err));
    this.subscriptions = new RedisSubscriptions(() => this.open(commandConnectionOptions()), this.prefix, onHandlerError);
  }

  get(key: string): Promise<string | null> {
    return this.run(() => this.cmd.get(this.k(key)));
  }

  async set(key: string, value: string, opts: SetOptions = {}): Promise<boolean> {
    checkTtl(opts.ttlMs);
    const args: (string | number)[] = [this.k(key), value];
    if (opts.ttlMs !== undefined) args.push("PX", opts.ttlMs);
    if (opts.ifNotExists) args.push("NX");
    return (await this.run(() => this.cmd.call("set", ...args))) === "OK";
  }

  async del(key: string): Promise<boolean> {
    return (await this.run(() => this.cmd.del(this.k(key)))) > 0;
  }

  async incr(key: string, by = 1, opts: { ttlMs?: number } = {}): Promise<number> {
    checkIncrement(by);
    checkTtl(opts.ttlMs);
    const k = this.k(key);
    if (opts.ttlMs === undefined) return this.run(() => this.cmd.incrby(k, by));
    return this.run(() => this.scripts.incrWithTtl(k, by, opts.ttlMs!));
  }

  ttl(key: string): Promise<number> {
    return this.run(() => this.cmd.pttl(this.k(key)));
  }

  async hincrby(key: string, field: string, by: number, opts: { ttlMs?: number } = {}): Promise<number> {
    checkIncrement(by);
    checkTtl(opts.ttlMs);
    const k = this.k(key);
    if (opts.ttlMs === undefined) return this.run(() => this.cmd.hincrby(k, field, by));
    return this.run(() => this.scripts.hincrbyWithTtl(k, field, by, opts.ttlMs!));
  }

  async hset(key: string, fields: Record<string, string>, opts: { ttlMs?: number } = {}): Promise<void> {
    checkTtl(opts.ttlMs);
    if (Object.keys(fields).length === 0) return;
    const k = this.k(key);
    if (opts.ttlMs === undefined) {
      await this.run(() => this.cmd.hset(k, fields));
      return;
    }
    const results = await this.run(() => this.cmd.multi().hset(k, fields).pexpire(k, opts.ttlMs!).exec());
    const failed = results?.find(([err]) => err);
    if (failed) throw this.fail(failed[0]);
  }

  hgetall(key: string): Promise<Record<string, string>> {
    return this.run(() => this.cmd.hgetall(this.k(key)));
  }

  async hdel(key: string, fields: string[]): Promise<number> {
    if (fields.length === 0) return 0;
    return this.run(() => this.cmd.hdel(this.k(key), ...fields));
  }

  async takeToken(key: string, rate: TokenRate): Promise<TokenTake> {
    checkTokenRate(rate);
    const [allowed, retryAfterMs, remaining] = await this.run(() => this.scripts.tokenBucketTake(this.k(key), rate.rps, rate.burst, bucketTtlMs(rate)));
    // Lua numbers come back as integers; the fractional token count travels as a string.
    return { allowed: allowed === 1, retryAfterMs, remaining: Number(remaining) };
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | null> {
    checkTtl(ttlMs);
    // Measured before the call, so the reported expiry is never later than the server's.
    const start = Date.now();
    const token = await this.run(() =>
      this.scripts.leaseAcquire(this.k(`lease:${name}`), this.k(`lease-fence:${name}`), holder, ttlMs),
    );
    return token < 0 ? null : { name, holder, token, expiresAt: start + ttlMs };
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<Lease | null> {
    checkTtl(ttlMs);
    const start = Date.now();
    const ok = await this.run(() =>
      this.scripts.leaseRenew(this.k(`lease:${lease.name}`), lease.holder, String(lease.token), ttlMs),
    );
    return ok === 1 ? { ...lease, expiresAt: start + ttlMs } : null;
  }

  async releaseLease(lease: Lease): Promise<boolean> {
    const ok = await this.run(() =>
      this.scripts.leaseRelease(this.k(`lease:${lease.name}`), lease.holder, String(lease.token)),
    );
    return ok === 1;
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run(() => this.cmd.publish(this.k(channel), message));
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<Unsubscribe> {
    const unsubscribe = await this.run(() => this.subscriptions.subscribe(channel, onMessage));
    return () => (this.closed ? Promise.resolve() : this.run(unsubscribe));
  }

  async xadd(stream: string, fields: Record<string, string>, opts: { maxLen?: number } = {}): Promise<string> {
    checkCount(opts.maxLen, "maxLen");
    checkFields(fields);
    const flat = Object.entries(fields).flat();
    const trim = opts.maxLen === undefined ? [] : ["MAXLEN", "~", opts.maxLen];
    return (await this.run(() => this.cmd.call("xadd", this.k(stream), ...trim, "*", ...flat))) as string;
  }

  async createGroup(stream: string, group: string, startId: "$" | "0" = "$"): Promise<void> {
    this.assertOpen();
    try {
      await this.cmd.xgroup("CREATE", this.k(stream), group, startId, "MKSTREAM");
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("BUSYGROUP")) return;
      throw this.fail(err);
    }
  }

  async readGroup(stream: string, group: string, consumer: string, opts: ReadGroupOptions = {}): Promise<StreamEntry[]> {
    checkCount(opts.count, "count");
    checkBlockMs(opts.blockMs);
    const args: (string | number)[] = ["GROUP", group, consumer];
    if (opts.count !== undefined) args.push("COUNT", opts.count);
    if (opts.blockMs) args.push("BLOCK", opts.blockMs);
    args.push("STREAMS", this.k(stream), ">");
    const reply = opts.blockMs
      ? await this.blockingRead(args)
      : await this.run(() => this.cmd.call("xreadgroup", ...args));
    const streams = (reply ?? []) as [string, RawEntry[]][];
    return (streams[0]?.[1] ?? []).flatMap(([id, fields]) =>
      fields ? [{ id, fields: toRecord(fields), deliveries: 1 }] : [],
    );
  }

  async ack(stream: string, group: string, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.run(() => this.cmd.xack(this.k(stream), group, ...ids));
  }

  async claimStale(stream: string, group: string, consumer: string, minIdleMs: number, count = 100): Promise<StreamEntry[]> {
    checkCount(count, "count");
    if (!Number.isSafeInteger(minIdleMs) || minIdleMs < 0) {
      throw new RangeError(`minIdleMs must be a non-negative integer, got ${minIdleMs}`);
    }
    const key = this.k(stream);
    const claimed: StreamEntry[] = [];
    let cursor = "0-0";
    // XAUTOCLAIM scans a bounded slice of the pending list per call; follow the cursor to cover all of it.
    do {
      const reply = (await this.run(() =>
        this.cmd.call("xautoclaim", key, group, consumer, minIdleMs, cursor, "COUNT", count - claimed.length),
      )) as [string, RawEntry[], string[]?];
      cursor = reply[0];
      for (const [id, fields] of reply[1]) if (fields) claimed.push({ id, fields: toRecord(fields) });
    } while (cursor !== "0-0" && claimed.length < count);
    if (claimed.length === 0) return claimed;
    // XAUTOCLAIM does not report delivery counts; XPENDING per claimed id does.
    const pipeline = this.cmd.pipeline();
    for (const e of claimed) pipeline.xpending(key, group, e.id, e.id, 1);
    const results = await this.run(() => pipeline.exec());
    claimed.forEach((entry, i) => {
      const [err, rows] = results?.[i] ?? [null, []];
      const row = !err && Array.isArray(rows) ? (rows[0] as [string, string, number, number] | undefined) : undefined;
      entry.deliveries = row ? Number(row[3]) : undefined;
    });
    return claimed;
  }

  async pendingCount(stream: string, group: string): Promise<number> {
    const summary = (await this.run(() => this.cmd.xpending(this.k(stream), group))) as [number, ...unknown[]];
    return Number(summary[0]);
  }

  async ping(): Promise<void> {
    await this.run(() => withTimeout(this.cmd.ping(), PING_TIMEOUT_MS, `no answer to PING within ${PING_TIMEOUT_MS} ms`));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscriptions.clear();
    // Blocked readers wake with [] (readGroup maps errors after close to an empty read).
    for (const conn of this.busyBlocking) conn.disconnect();
    const rest = [this.cmd, this.subscriptions.connection, ...this.idleBlocking].filter((c): c is Redis => !!c);
    this.idleBlocking = [];
    await Promise.all(rest.map(closeConnection));
  }

  /** XREADGROUP BLOCK on a pooled connection of its own. */
  private async blockingRead(args: (string | number)[]): Promise<unknown> {
    this.assertOpen();
    const conn = this.idleBlocking.pop() ?? this.open(blockingConnectionOptions());
    this.busyBlocking.add(conn);
    try {
      const reply = await conn.call("xreadgroup", ...args);
      this.busyBlocking.delete(conn);
      if (this.closed || this.idleBlocking.length >= MAX_IDLE_BLOCKING) void closeConnection(conn);
      else this.idleBlocking.push(conn);
      return reply;
    } catch (err) {
      this.busyBlocking.delete(conn);
      conn.disconnect();
      if (this.closed) return null;
      throw this.fail(err);
    }
  }

  private open(options: ReturnType<typeof commandConnectionOptions>): Redis {
    const conn = new Redis(this.opts.url, options);
    // Without a listener ioredis prints every reconnect failure; keep the latest to explain rejections.
    conn.on("error", (err: Error) => {
      this.lastError = err;
    });
    conn.on("ready", () => {
      this.lastError = undefined;
    });
    return conn;
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await op();
    } catch (err) {
      throw this.fail(err);
    }
  }

  /** Name the server, and when a command gave up for lack of a connection, say why there was none. */
  private fail(err: unknown): Error {
    const e = err instanceof Error ? err : new Error(String(err));
    if (e.name === "MaxRetriesPerRequestError") {
      const why = this.lastError ? `${this.lastError.message}; ` : "";
      return new Error(`${this.where} is unreachable (${why}gave up after ${MAX_RECONNECTS_PER_COMMAND} reconnect attempts)`, { cause: e });
    }
    return new Error(`${this.where}: ${e.message}`, { cause: e });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`${this.where}: state store is closed`);
  }

  private k(key: string): string {
    return this.prefix + key;
  }
}

function toRecord(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}
