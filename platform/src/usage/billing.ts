/**
 * What one invocation adds to the usage aggregate, as a pure decision: whether it is billed at all,
 * whether it counts as an error and a cold start, its billed milliseconds, and the UTC hour it
 * belongs to. Kept apart from the accumulator so the rules are testable alone and read in one place.
 *
 * Billed: every invocation that ran on an instance. That is a success, a function error, and a
 * platform error that the runner measured on an instance (TimeoutError, OutOfMemory,
 * InstanceCrashed, or an instance that failed mid-call: the outcome carries `durationMs`).
 * Not billed: what never ran the function's code on an instance: a throttle (TooManyRequests), a
 * refusal or an unavailable service (ServiceUnavailable, `refused`), a start that failed before
 * the call was handed to an instance (InitError and start failures carry no duration), and a runner
 * lost after delivery (RunnerLost: nobody measured it, and the failure is the platform's).
 */
import type { InvokeOutcome } from "../../../protocol/invoke.ts";

/** Billing granularity: each invocation's duration is rounded up to a whole millisecond, as Lambda's is. */
export const BILLING_GRANULARITY_MS = 1;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Platform failures that never ran on an instance, whatever else the outcome says. */
const NEVER_RAN = new Set(["TooManyRequests", "ServiceUnavailable", "RunnerLost"]);

/** True when the outcome ran on an instance and is billed (see the module header for the rule). */
export function isBilled(outcome: InvokeOutcome): boolean {
  if (outcome.kind !== "platform-error") return true;
  return outcome.refused !== true && !NEVER_RAN.has(outcome.code) && outcome.durationMs !== undefined;
}

/** True for a billed outcome that failed: the handler's error, or a platform error on the instance. */
export function isError(outcome: InvokeOutcome): boolean {
  return outcome.kind !== "success";
}

/**
 * The billed milliseconds of a measured duration: rounded up to a whole millisecond, at least 1
 * (Lambda's minimum billed duration). A duration that is not a finite positive number bills the minimum.
 */
export function billedMs(durationMs: number | undefined): number {
  if (durationMs === undefined || !(durationMs > 0) || !Number.isFinite(durationMs)) return BILLING_GRANULARITY_MS;
  return Math.max(BILLING_GRANULARITY_MS, Math.ceil(durationMs / BILLING_GRANULARITY_MS) * BILLING_GRANULARITY_MS);
}

/** GB-seconds of `mbMs` megabyte-milliseconds (billed ms × memorySize MB): / 1024 MB per GB, / 1000 ms per s. */
export function gbSecondsOf(mbMs: number): number {
  return mbMs / 1024 / 1000;
}

/** Start of the UTC hour that contains `epochMs`. */
export function hourStart(epochMs: number): number {
  return Math.floor(epochMs / HOUR_MS) * HOUR_MS;
}

/** Start of the UTC day that contains `epochMs`. */
export function dayStart(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS) * DAY_MS;
}
