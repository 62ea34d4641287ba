/**
 * Log retention: a periodic sweep that deletes each function's lines older than its retention
 * (logRetentionDays, else HOTSWAP_LOG_RETENTION_DAYS), then its oldest lines beyond its byte cap
 * (logMaxBytes, else HOTSWAP_LOG_MAX_BYTES; bytes are the octets of the messages), and the lines of
 * functions that no longer exist. Every replica runs the timer; a state-store key set only if
 * absent, expiring just before the next tick, lets one replica per interval sweep (a cheap gate,
 * not a lease: the deletes are idempotent, so a second sweep would cost time, never data).
 * Deletes go in bounded statements, so the sweep never holds a long lock.
 */
import type { StateStore } from "../../../shared/state/state-store.ts";
import type { FunctionLogsRepository, FunctionsRepository } from "../db/index.ts";

export interface LogRetentionDefaults {
  retentionDays: number;
  maxBytes: number;
}

export interface LogRetentionOptions {
  functions: Pick<FunctionsRepository, "list">;
  logs: FunctionLogsRepository;
  state: StateStore;
  /** The cluster's key prefix, `hs:<cluster id>:`. */
  namespace: string;
  holder: string;
  defaults: LogRetentionDefaults;
  /** @default 300000 (5 minutes) */
  intervalMs?: number;
  /** Rows per delete statement. @default 10000 */
  batch?: number;
  now?: () => number;
  onError?(e: unknown): void;
}

export interface SweepResult {
  /** Lines deleted for age. */
  expired: number;
  /** Lines deleted for the byte cap. */
  overCap: number;
  /** Lines of deleted functions. */
  orphaned: number;
}

const DAY_MS = 86_400_000;

export class LogRetention {
  private readonly intervalMs: number;
  private readonly batch: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;

  constructor(private readonly opts: LogRetentionOptions) {
    this.intervalMs = opts.intervalMs ?? 300_000;
    this.batch = opts.batch ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** The gate's key: one sweep per interval per cluster. */
  get gateKey(): string {
    return `${this.opts.namespace}logs:retention-sweep`;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** Sweeps if no replica has this interval; undefined when another one has. */
  async tick(): Promise<SweepResult | undefined> {
    if (this.sweeping) return undefined;
    const run = (async () => {
      try {
        const mine = await this.opts.state.set(this.gateKey, this.opts.holder, { ifNotExists: true, ttlMs: Math.max(1000, this.intervalMs - 1000) });
        return mine ? await this.sweep() : undefined;
      } catch (e) {
        this.opts.onError?.(e);
        return undefined;
      } finally {
        this.sweeping = undefined;
      }
    })();
    this.sweeping = run;
    return run;
  }

  /** One sweep over every function that has lines. */
  async sweep(): Promise<SweepResult> {
    const { logs, defaults } = this.opts;
    const result: SweepResult = { expired: 0, overCap: 0, orphaned: 0 };
    // Names with lines first, then the functions: a function created in between has no lines in the list.
    const names = await logs.loggedFunctions();
    const fns = new Map((await this.opts.functions.list()).map((f) => [f.name, f]));
    for (const name of names) {
      const fn = fns.get(name);
      if (!fn) {
        result.orphaned += await this.drain((b) => logs.deleteFunction(name, b));
        continue;
      }
      const cutoff = new Date(this.now() - (fn.logRetentionDays ?? defaults.retentionDays) * DAY_MS);
      result.expired += await this.drain((b) => logs.deleteOlderThan(name, cutoff, b));
      result.overCap += await logs.deleteBeyondBytes(name, fn.logMaxBytes ?? defaults.maxBytes);
    }
    return result;
  }

  private async drain(del: (batch: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await del(this.batch);
      total += n;
      if (n < this.batch) return total;
    }
  }
}
