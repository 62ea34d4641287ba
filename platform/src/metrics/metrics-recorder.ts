/**
 * Records each invocation's outcome and duration per function version into time-windowed counters
 * and a latency histogram in the state store, for rollout analysis (no Prometheus needed).
 *
 * Off the critical path: record() only bumps counters in memory; a timer flushes them every
 * ~250 ms (and close() flushes the rest), so an invocation never waits on the state store.
 * The control plane's invoker records today; in the fleet the runners will, behind the same
 * MetricsRecorder interface.
 *
 * What counts: a success, or an error (handler error, timeout, out of memory, crash, init error,
 * any other failure of the version). Not counted: TooManyRequests and ServiceUnavailable, which
 * never reached the function, and RunnerLost (the runner machine failed, not the version). Latency is the time spent in the instance for warm invocations;
 * a cold start's init time is left out (as Lambda's Duration leaves out Init Duration), so a new
 * version's first cold starts do not trip a p99 threshold.
 */
import type { InvokeOutcome } from "../protocol/invoke.ts";
import type { StateStore } from "../state/state-store.ts";
import { bucketOf } from "./histogram.ts";
import { FIELD_COUNT, FIELD_ERRORS, HISTOGRAM_PREFIX, MINUTES, SECONDS, metricKey, type Resolution } from "./metric-keys.ts";

/** One invocation as the analysis sees it. */
export interface InvocationSample {
  error: boolean;
  /** Omitted when the latency must not count (cold start, or unknown). */
  durationMs?: number;
}

export interface MetricsRecorder {
  /** Record one invocation of a function version. Cheap and synchronous; never throws. */
  record(functionName: string, version: number, sample: InvocationSample): void;
  /** Write everything recorded so far. */
  flush(): Promise<void>;
  /** Flush and stop the timer. */
  close(): Promise<void>;
}

/** Platform failures that say nothing about the version: it was never reached, or its runner died. */
const NOT_COUNTED = new Set(["TooManyRequests", "ServiceUnavailable", "RunnerLost"]);

/** The sample for an outcome, or undefined when the outcome does not count. */
export function sampleOf(outcome: InvokeOutcome): InvocationSample | undefined {
  if (outcome.kind === "platform-error" && NOT_COUNTED.has(outcome.code)) return undefined;
  const error = outcome.kind !== "success";
  const warm = outcome.coldStart === false;
  return warm && outcome.durationMs !== undefined ? { error, durationMs: outcome.durationMs } : { error };
}

type Fields = Map<string, number>;

export interface StateMetricsRecorderOptions {
  /** Key prefix that scopes the metrics to one cluster (see DeploymentsRepository.clusterId). */
  namespace: string;
  /** @default 250 */
  flushIntervalMs?: number;
  now?: () => number;
  onError?: (e: unknown) => void;
}

export class StateMetricsRecorder implements MetricsRecorder {
  private pending = new Map<string, { fields: Fields; ttlMs: number }>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly now: () => number;

  constructor(
    private readonly state: StateStore,
    private readonly opts: StateMetricsRecorderOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => void this.flush(), opts.flushIntervalMs ?? 250);
    this.timer.unref();
  }

  record(functionName: string, version: number, sample: InvocationSample): void {
    if (this.closed) return;
    const t = this.now();
    this.add(SECONDS, functionName, version, t, sample);
    this.add(MINUTES, functionName, version, t, sample);
  }

  flush(): Promise<void> {
    // Serialised, so two flushes never interleave their increments of the same window.
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.closed) return this.flushing;
    clearInterval(this.timer);
    await this.flush();
    this.closed = true;
  }

  private add(res: Resolution, fn: string, version: number, t: number, sample: InvocationSample): void {
    const key = metricKey(this.opts.namespace, res, fn, version, Math.floor(t / res.widthMs));
    let entry = this.pending.get(key);
    if (entry === undefined) {
      entry = { fields: new Map(), ttlMs: res.ttlMs };
      this.pending.set(key, entry);
    }
    const f = entry.fields;
    f.set(FIELD_COUNT, (f.get(FIELD_COUNT) ?? 0) + 1);
    if (sample.error) f.set(FIELD_ERRORS, (f.get(FIELD_ERRORS) ?? 0) + 1);
    if (sample.durationMs !== undefined) {
      const h = HISTOGRAM_PREFIX + bucketOf(sample.durationMs);
      f.set(h, (f.get(h) ?? 0) + 1);
    }
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const writes: Promise<unknown>[] = [];
    for (const [key, { fields, ttlMs }] of batch) {
      for (const [field, n] of fields) writes.push(this.state.hincrby(key, field, n, { ttlMs }));
    }
    const results = await Promise.allSettled(writes);
    // Metrics are best effort: a failed write is reported, not retried, so a state-store outage
    // cannot grow memory without bound.
    const failed = results.find((r) => r.status === "rejected");
    if (failed) this.opts.onError?.((failed as PromiseRejectedResult).reason);
  }
}
