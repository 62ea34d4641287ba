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
import type { InvokeOutcome } from "../../../protocol/invoke.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { MAX_BUCKET, bucketOf } from "./histogram.ts";
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

/** Hash field names of the latency buckets, built once: record() concatenates no strings. */
const HISTOGRAM_FIELDS = Array.from({ length: MAX_BUCKET + 1 }, (_, i) => HISTOGRAM_PREFIX + i);

/** The pending fields of one version's current second and minute windows, found without building a key. */
interface VersionWindows {
  second: number;
  secondFields: Fields | undefined;
  minute: number;
  minuteFields: Fields | undefined;
}

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
  /** Function → version → its current windows' entries in `pending`. */
  private readonly windows = new Map<string, Map<number, VersionWindows>>();
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
    let versions = this.windows.get(functionName);
    if (versions === undefined) this.windows.set(functionName, (versions = new Map()));
    let w = versions.get(version);
    if (w === undefined) versions.set(version, (w = { second: -1, secondFields: undefined, minute: -1, minuteFields: undefined }));
    const second = Math.floor(t / SECONDS.widthMs);
    if (second !== w.second || w.secondFields === undefined) {
      w.second = second;
      w.secondFields = this.fieldsOf(SECONDS, functionName, version, second);
    }
    const minute = Math.floor(t / MINUTES.widthMs);
    if (minute !== w.minute || w.minuteFields === undefined) {
      w.minute = minute;
      w.minuteFields = this.fieldsOf(MINUTES, functionName, version, minute);
    }
    count(w.secondFields, sample);
    count(w.minuteFields, sample);
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

  /** The pending fields of one window, created on first use. */
  private fieldsOf(res: Resolution, fn: string, version: number, bucket: number): Fields {
    const key = metricKey(this.opts.namespace, res, fn, version, bucket);
    let entry = this.pending.get(key);
    if (entry === undefined) {
      entry = { fields: new Map(), ttlMs: res.ttlMs };
      this.pending.set(key, entry);
    }
    return entry.fields;
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    // The cached windows point into the batch being written: the next record starts new ones.
    this.windows.clear();
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

function count(f: Fields, sample: InvocationSample): void {
  f.set(FIELD_COUNT, (f.get(FIELD_COUNT) ?? 0) + 1);
  if (sample.error) f.set(FIELD_ERRORS, (f.get(FIELD_ERRORS) ?? 0) + 1);
  if (sample.durationMs !== undefined) {
    const h = HISTOGRAM_FIELDS[bucketOf(sample.durationMs)]!;
    f.set(h, (f.get(h) ?? 0) + 1);
  }
}
