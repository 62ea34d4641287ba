/**
 * Trigger execution statistics, batched: each execution adds to an in-memory tally per trigger,
 * and a timer writes the tallies (one UPDATE per trigger that ran) every flush interval, so a busy
 * route costs the database one statement per second rather than one per request. A replica
 * that dies loses at most one interval of counts; close() flushes what is pending.
 */
import type { TriggerStatsDelta, TriggersRepository } from "../db/index.ts";

export class TriggerStats {
  private pending = new Map<string, TriggerStatsDelta>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: Pick<TriggersRepository, "addStats">,
    private readonly opts: { flushIntervalMs?: number; onError?: (e: unknown) => void } = {},
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Count one execution; `failure` (the error text) when it failed. */
  record(triggerId: string, failure?: string, at: Date = new Date()): void {
    let d = this.pending.get(triggerId);
    if (!d) this.pending.set(triggerId, (d = { executions: 0, failures: 0, lastExecutedAt: at }));
    d.executions++;
    if (at > d.lastExecutedAt) d.lastExecutedAt = at;
    if (failure !== undefined) {
      d.failures++;
      d.lastError = failure.slice(0, 1024);
    }
  }

  /** Write the pending tallies (after any flush already under way). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      for (const [id, delta] of batch) {
        try {
          await this.repo.addStats(id, delta);
        } catch (e) {
          this.opts.onError?.(e);
        }
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
