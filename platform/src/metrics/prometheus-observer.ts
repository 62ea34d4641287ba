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
 * Throttles are counted apart and not as invocations (as Lambda's Invocations and Errors leave
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

/** Label sets seen per function version, so a deleted one's series can be removed exactly. */
interface Seen {
  fn: string;
  version: string;
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
  private readonly seen = new Map<string, Seen>();
  /** Functions with cold-start kinds or throttles counted. */
  private readonly seenFunctions = new Map<string, { kinds: Set<string>; throttled: boolean }>();

  constructor(registry: Registry, private readonly exists: SeriesLiveness = () => true) {
    this.invocations = new Counter({
      name: "hotswap_invocations_total",
      help: "Invocations that reached a runner, by function, version and outcome (success, function_error, or a platform failure such as timeout).",
      labelNames: ["function", "version", "outcome"],
      registers: [registry],
      // Registered first, so the series of deleted functions are gone from every metric of this scrape.
      collect: () => this.prune(),
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
    const fn = spec.functionName;
    const version = String(spec.version);
    const outcomeLabel = code !== undefined ? PLATFORM_OUTCOMES[code] : outcome.kind === "success" ? "success" : "function_error";
    const seen = this.track(fn, version);
    seen.outcomes.add(outcomeLabel);
    this.invocations.inc({ function: fn, version, outcome: outcomeLabel });
    // A refusal never ran anything: no duration, no cold start, nothing billed.
    if (outcome.kind === "platform-error" && outcome.refused) return;
    seen.timed = true;
    this.duration.observe({ function: fn, version }, (performance.now() - startedAt) / 1000);
    if (outcome.coldStart) {
      const kind = outcome.start === "stem" ? "stem" : "fresh";
      this.functionSeen(fn).kinds.add(kind);
      this.coldStarts.inc({ function: fn, kind });
    }
    if (outcome.durationMs !== undefined) {
      seen.billed = true;
      this.gbSeconds.inc({ function: fn, version }, gbSeconds(outcome.durationMs, spec.memorySize));
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
      if (this.exists(s.fn, Number(s.version))) continue;
      this.seen.delete(key);
      for (const outcome of s.outcomes) this.invocations.remove({ function: s.fn, version: s.version, outcome });
      if (s.timed) this.duration.remove({ function: s.fn, version: s.version });
      if (s.billed) this.gbSeconds.remove({ function: s.fn, version: s.version });
    }
    for (const [fn, f] of this.seenFunctions) {
      if (this.exists(fn)) continue;
      this.seenFunctions.delete(fn);
      for (const kind of f.kinds) this.coldStarts.remove({ function: fn, kind });
      if (f.throttled) this.throttles.remove({ function: fn });
    }
  }

  private track(fn: string, version: string): Seen {
    const key = `${fn}\0${version}`;
    let s = this.seen.get(key);
    if (!s) this.seen.set(key, (s = { fn, version, outcomes: new Set(), billed: false, timed: false }));
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
