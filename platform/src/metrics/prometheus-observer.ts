/**
 * The Prometheus series of invocations, fed by the invocation pipeline's observe stage (one
 * observer beside the rollout windows) and, for throttles the reserved-concurrency stage answers
 * before the observe stage, by `countThrottles`:
 *
 *   hotswap_invocations_total{function,version,outcome}   outcome: success, function_error, or a
 *                                                          platform failure (timeout, out_of_memory, …)
 *   hotswap_invocation_duration_seconds{function,version}  histogram, 1 ms .. 15 min
 *   hotswap_cold_starts_total{function,kind}               kind: fresh | stem
 *   hotswap_throttles_total{function}                      reserved concurrency and runner 429s
 *   hotswap_gb_seconds_total{function,version}             billed ms (rounded up to 1 ms) × memory
 *
 * On the invocation path the counters are plain numbers per version, added to prom-client's at
 * each scrape; only the duration histogram is observed per invocation (about 1 µs in all, against
 * 4 µs with three prom-client updates). Throttles are counted apart and not as invocations (as Lambda's Invocations and Errors leave
 * them out): the function never ran. Cardinality is bounded: label values are function names and
 * versions from the registry and fixed enums, never request ids; the series of a function or
 * version that no longer exists are dropped at the next scrape.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import type { FunctionSpec, InvokeOutcome, PlatformErrorCode } from "../../../protocol/invoke.ts";
import type { Invocation } from "../invocation/invocation.ts";
import type { InvocationObserver } from "../invocation/observe.ts";
import type { ConcurrencyReservations } from "../invocation/reserved-concurrency.ts";

/** The `outcome` label of a platform failure. TooManyRequests is a throttle, not an invocation. */
export const PLATFORM_OUTCOMES: Readonly<Record<Exclude<PlatformErrorCode, "TooManyRequests">, string>> = {
  TimeoutError: "timeout",
  OutOfMemory: "out_of_memory",
  InitError: "init_error",
  InstanceCrashed: "instance_crashed",
  RuntimeUnavailable: "runtime_unavailable",
  ServiceUnavailable: "service_unavailable",
  InternalError: "internal_error",
  RunnerLost: "runner_lost",
};

/** Duration buckets in seconds, from a 1 ms handler to Lambda's 15-minute timeout. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900];

/** Whether a function (and, when given, one of its versions) still exists; series of gone ones are dropped. */
export type SeriesLiveness = (functionName: string, version?: number) => boolean;

/**
 * One function version's series. The counters are kept here as plain numbers and added to
 * prom-client's at scrape time (a label lookup per series per scrape instead of per invocation);
 * the label sets seen let a deleted version's series be removed exactly.
 */
interface VersionSeries {
  key: string;
  labels: { function: string; version: string };
  /** Invocations by outcome label not yet added to hotswap_invocations_total. */
  pending: Map<string, number>;
  pendingGbSeconds: number;
  outcomes: Set<string>;
  billed: boolean;
  timed: boolean;
}

export class PrometheusInvocationObserver implements InvocationObserver {
  private readonly invocations: Counter<"function" | "version" | "outcome">;
  private readonly duration: Histogram<"function" | "version">;
  private readonly coldStarts: Counter<"function" | "kind">;
  private readonly throttles: Counter<"function">;
  private readonly gbSeconds: Counter<"function" | "version">;
  private readonly seen = new Map<string, VersionSeries>();
  /** The series of a spec object (the routing table's, rebuilt on reloads), found without building a key. */
  private readonly bySpec = new WeakMap<FunctionSpec, VersionSeries>();
  /** Functions with cold-start kinds or throttles counted. */
  private readonly seenFunctions = new Map<string, { kinds: Set<string>; throttled: boolean }>();

  constructor(registry: Registry, private readonly exists: SeriesLiveness = () => true) {
    this.invocations = new Counter({
      name: "hotswap_invocations_total",
      help: "Invocations that reached a runner, by function, version and outcome (success, function_error, or a platform failure such as timeout).",
      labelNames: ["function", "version", "outcome"],
      registers: [registry],
      // Registered first: the counts since the last scrape are added, and the series of deleted
      // functions are gone from every metric of this scrape.
      collect: () => {
        this.flush();
        this.prune();
      },
    });
    this.duration = new Histogram({
      name: "hotswap_invocation_duration_seconds",
      help: "Time from handing an invocation to the runner to its outcome (cold starts included), by function and version.",
      labelNames: ["function", "version"],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
    this.coldStarts = new Counter({
      name: "hotswap_cold_starts_total",
      help: "Invocations that started an instance: kind fresh (a new instance) or stem (a prewarmed runtime specialised).",
      labelNames: ["function", "kind"],
      registers: [registry],
    });
    this.throttles = new Counter({
      name: "hotswap_throttles_total",
      help: "Invocations refused with 429 TooManyRequests (reserved concurrency, or a runner at its version's cap and queue).",
      labelNames: ["function"],
      registers: [registry],
    });
    this.gbSeconds = new Counter({
      name: "hotswap_gb_seconds_total",
      help: "Billed compute: billed duration (rounded up to 1 ms) × configured memory, in GB-seconds.",
      labelNames: ["function", "version"],
      registers: [registry],
    });
  }

  observe(inv: Invocation, outcome: InvokeOutcome, startedAt: number): void {
    const spec = inv.spec!;
    const code = outcome.kind === "platform-error" ? outcome.code : undefined;
    if (code === "TooManyRequests") return this.throttled(spec);
    const outcomeLabel = code !== undefined ? PLATFORM_OUTCOMES[code] : outcome.kind === "success" ? "success" : "function_error";
    const series = this.series(spec);
    series.pending.set(outcomeLabel, (series.pending.get(outcomeLabel) ?? 0) + 1);
    // A refusal never ran anything: no duration, no cold start, nothing billed.
    if (outcome.kind === "platform-error" && outcome.refused) return;
    series.timed = true;
    this.duration.observe(series.labels, (performance.now() - startedAt) / 1000);
    if (outcome.coldStart) {
      const kind = outcome.start === "stem" ? "stem" : "fresh";
      this.functionSeen(spec.functionName).kinds.add(kind);
      this.coldStarts.inc({ function: spec.functionName, kind });
    }
    if (outcome.durationMs !== undefined) {
      series.billed = true;
      series.pendingGbSeconds += gbSeconds(outcome.durationMs, spec.memorySize);
    }
  }

  /** Add the counts kept since the last scrape to the prom-client counters. */
  flush(): void {
    for (const s of this.seen.values()) {
      for (const [outcome, n] of s.pending) {
        if (n === 0) continue;
        s.outcomes.add(outcome);
        this.invocations.inc({ ...s.labels, outcome }, n);
        s.pending.set(outcome, 0);
      }
      if (s.pendingGbSeconds > 0) {
        this.gbSeconds.inc(s.labels, s.pendingGbSeconds);
        s.pendingGbSeconds = 0;
      }
    }
  }

  /** Count a 429 TooManyRequests of this function. */
  throttled(spec: Pick<FunctionSpec, "functionName">): void {
    this.functionSeen(spec.functionName).throttled = true;
    this.throttles.inc({ function: spec.functionName });
  }

  /** Remove the series of functions and versions that no longer exist. */
  prune(): void {
    for (const [key, s] of this.seen) {
      if (this.exists(s.labels.function, Number(s.labels.version))) continue;
      this.seen.delete(key);
      for (const outcome of s.outcomes) this.invocations.remove({ ...s.labels, outcome });
      if (s.timed) this.duration.remove(s.labels);
      if (s.billed) this.gbSeconds.remove(s.labels);
    }
    for (const [fn, f] of this.seenFunctions) {
      if (this.exists(fn)) continue;
      this.seenFunctions.delete(fn);
      for (const kind of f.kinds) this.coldStarts.remove({ function: fn, kind });
      if (f.throttled) this.throttles.remove({ function: fn });
    }
  }

  private series(spec: FunctionSpec): VersionSeries {
    let s = this.bySpec.get(spec);
    if (s && this.seen.get(s.key) === s) return s;
    const version = String(spec.version);
    const key = `${spec.functionName}\0${version}`;
    s = this.seen.get(key);
    if (!s) {
      s = { key, labels: { function: spec.functionName, version }, pending: new Map(), pendingGbSeconds: 0, outcomes: new Set(), billed: false, timed: false };
      this.seen.set(key, s);
    }
    this.bySpec.set(spec, s);
    return s;
  }

  private functionSeen(fn: string) {
    let f = this.seenFunctions.get(fn);
    if (!f) this.seenFunctions.set(fn, (f = { kinds: new Set(), throttled: false }));
    return f;
  }
}

/** GB-seconds of one invocation: its duration rounded up to the next millisecond (at least 1) × memory. */
export function gbSeconds(durationMs: number, memoryMb: number): number {
  return (Math.max(1, Math.ceil(durationMs)) / 1000) * (memoryMb / 1024);
}

/**
 * The reserved-concurrency counter, counting the throttles it answers (they are answered before
 * the observe stage, so the observer never sees them).
 */
export function countThrottles(reservations: ConcurrencyReservations, observer: Pick<PrometheusInvocationObserver, "throttled">): ConcurrencyReservations {
  return {
    admit(spec) {
      const throttled = reservations.admit(spec);
      if (throttled) observer.throttled(spec);
      return throttled;
    },
    release: (spec) => reservations.release(spec),
  };
}
