/**
 * The invocation observer that feeds usage and cost: each billed outcome (billing.ts says which)
 * adds to its function version's current UTC hour in memory (PendingUsage), and a timer flushes
 * the sums to the `usage_hourly` table every few seconds with an adding upsert, so replicas share
 * rows. Off the invocation path: observe() does no I/O. A failed flush keeps its counts for the
 * next one (bounded: the oldest hours go first, and that is logged); close() flushes what is left,
 * so a clean stop loses nothing.
 */
import type { InvokeOutcome } from "../../../protocol/invoke.ts";
import type { UsageRepository, UsageRow } from "../db/repositories/usage.ts";
import type { Invocation } from "../invocation/invocation.ts";
import type { InvocationObserver } from "../invocation/observe.ts";
import { billedMs, gbSecondsOf, isBilled, isError } from "./billing.ts";
import { DEFAULT_MAX_PENDING_ROWS, PendingUsage, type UsageDelta } from "./pending-usage.ts";

/** Rows per upsert statement (8 parameters a row, far below Postgres' 65535). */
const ROWS_PER_STATEMENT = 500;

export const DEFAULT_USAGE_FLUSH_MS = 5000;

export interface UsageObserverOptions {
  /** How often pending usage is written. @default 5000 */
  flushIntervalMs?: number;
  /** Rows kept for retry while the database fails, at the most. @default 100000 */
  maxPendingRows?: number;
  now?: () => number;
  /** A flush failed; its counts are kept for the next one. */
  onError?: (err: unknown) => void;
  /** Counts dropped: beyond the retry bound, or still unwritten when close() gave up. */
  onDropped?: (dropped: readonly UsageDelta[], why: string) => void;
}

export class UsageObserver implements InvocationObserver {
  private readonly pending: PendingUsage;
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private closed = false;

  constructor(
    private readonly repo: Pick<UsageRepository, "add">,
    private readonly opts: UsageObserverOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.pending = new PendingUsage(opts.maxPendingRows ?? DEFAULT_MAX_PENDING_ROWS);
    this.timer = setInterval(() => void this.flush().catch(() => {}), opts.flushIntervalMs ?? DEFAULT_USAGE_FLUSH_MS);
    this.timer.unref();
  }

  observe(inv: Invocation, outcome: InvokeOutcome): void {
    if (!isBilled(outcome)) return;
    this.pending.add(inv.spec!, this.now(), billedMs(outcome.durationMs), isError(outcome), outcome.coldStart === true);
  }

  /**
   * Write everything observed so far. Flushes are serialised (two never write the same counts).
   * Rejects when some counts could not be written; they stay pending for the next flush.
   */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.write());
    this.flushing = run.catch(() => {});
    return run;
  }

  /** Stop the timer and write what is left; what cannot be written is reported through onDropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    try {
      await this.flush();
    } catch {
      const left = this.pending.drain();
      if (left.length > 0) this.opts.onDropped?.(left, "the database did not accept the last flush at shutdown");
    }
  }

  private async write(): Promise<void> {
    if (this.pending.isEmpty()) return;
    const deltas = this.pending.drain();
    for (let i = 0; i < deltas.length; i += ROWS_PER_STATEMENT) {
      const chunk = deltas.slice(i, i + ROWS_PER_STATEMENT);
      try {
        await this.repo.add(chunk.map(toRow));
      } catch (err) {
        // The chunks already written stay written; this one and the rest are retried.
        const dropped = this.pending.restore(deltas.slice(i));
        if (dropped.length > 0) this.opts.onDropped?.(dropped, "more usage rows waited for the database than the retry bound allows");
        this.opts.onError?.(err);
        throw err;
      }
    }
  }
}

function toRow(d: UsageDelta): UsageRow {
  return {
    functionName: d.functionName,
    version: d.version,
    hour: new Date(d.hour),
    invocations: d.invocations,
    errors: d.errors,
    coldStarts: d.coldStarts,
    billedMs: d.billedMs,
    gbSeconds: gbSecondsOf(d.mbMs),
  };
}
