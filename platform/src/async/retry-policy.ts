/**
 * Lambda's retry semantics for asynchronous invocations, as pure decisions: what an attempt's
 * outcome counts as, and what happens after a failure.
 *
 * - A handler error, a timeout, running out of memory, a crash or a lost runner is a counted
 *   attempt: retried after the configured delays (Lambda: ~1 min, then ~2 min) up to
 *   `maximumRetryAttempts`, then RetriesExhausted.
 * - A throttle (429, reserved concurrency) or a platform error before delivery (no runner or
 *   runtime available, a refusal) did not run the handler: retried with exponential backoff without
 *   consuming an attempt, for as long as the event is younger than `maximumEventAgeInSeconds`.
 * - A function, version or alias that does not exist (any 4xx before the runner) is not retried.
 * - A retry that would fall after the event's maximum age is not waited for: EventAgeExceeded.
 */
import type { InvocationAttempt, InvocationError } from "../../../protocol/api/invocations.ts";
import { MAX_RECORDED_RESULT_BYTES } from "../../../protocol/api/invocations.ts";
import type { DestinationCondition } from "../../../protocol/api/event-invoke-config.ts";
import { isApiError } from "../../../protocol/errors.ts";
import type { InvokeOutcome, PlatformErrorCode } from "../../../protocol/invoke.ts";

export interface AttemptFailure {
  error: InvocationError;
  /** Counts against maximumRetryAttempts (the handler ran, or may have). */
  counted: boolean;
  /** False: no retry can succeed (the function does not exist...). */
  retryable: boolean;
  /** For the destination record's responseContext. */
  statusCode: number;
  functionError?: string;
  /** The handler's error document, for the destination record. */
  responsePayload?: unknown;
}

/** Platform errors where the handler did not run. */
const NOT_DELIVERED: ReadonlySet<PlatformErrorCode> = new Set(["TooManyRequests", "ServiceUnavailable", "RuntimeUnavailable"]);

/** What a runner's outcome means for the retry policy; undefined for a success. */
export function failureOf(outcome: InvokeOutcome): AttemptFailure | undefined {
  if (outcome.kind === "success") return undefined;
  if (outcome.kind === "function-error") {
    const doc = parseJson(outcome.payload.toString("utf8"));
    const d = (doc ?? {}) as { errorType?: unknown; errorMessage?: unknown };
    return {
      error: { errorType: typeof d.errorType === "string" ? d.errorType : "Error", errorMessage: truncate(typeof d.errorMessage === "string" ? d.errorMessage : outcome.payload.toString("utf8")) },
      counted: true,
      retryable: true,
      statusCode: 200,
      functionError: "Unhandled",
      responsePayload: doc,
    };
  }
  const delivered = !(outcome.refused || NOT_DELIVERED.has(outcome.code));
  return {
    error: { errorType: outcome.code, errorMessage: truncate(outcome.message) },
    counted: delivered,
    retryable: true,
    statusCode: delivered ? 200 : 429,
    functionError: delivered ? "Unhandled" : undefined,
    responsePayload: { errorType: outcome.code, errorMessage: outcome.message },
  };
}

/** What an error thrown by the chain before the runner means (an ApiError, or a bug). */
export function failureOfThrown(e: unknown): AttemptFailure {
  if (isApiError(e)) {
    const clientError = e.status >= 400 && e.status < 500 && e.status !== 429;
    return { error: { errorType: e.code, errorMessage: truncate(e.message) }, counted: clientError, retryable: !clientError, statusCode: e.status };
  }
  return { error: { errorType: "InternalError", errorMessage: truncate(String((e as Error)?.message ?? e)) }, counted: false, retryable: true, statusCode: 500 };
}

export interface RetryPolicy {
  maximumRetryAttempts: number;
  maximumEventAgeInSeconds: number;
  /** Before the first and the second retry. */
  retryDelaysMs: readonly number[];
}

export type AfterFailure = { kind: "retry"; at: number } | { kind: "finish"; condition: Exclude<DestinationCondition, "Success"> };

/** After a failed attempt (already appended to `attempts`): retry when, or finish how. */
export function afterFailure(attempts: readonly InvocationAttempt[], failure: AttemptFailure, policy: RetryPolicy, enqueuedAt: number, now: number): AfterFailure {
  if (!failure.retryable) return { kind: "finish", condition: "RetriesExhausted" };
  let delay: number;
  if (failure.counted) {
    const made = attempts.filter((a) => a.counted).length;
    if (made > policy.maximumRetryAttempts) return { kind: "finish", condition: "RetriesExhausted" };
    delay = policy.retryDelaysMs[Math.min(made - 1, policy.retryDelaysMs.length - 1)] ?? 0;
  } else {
    let streak = 0;
    for (let i = attempts.length - 1; i >= 0 && !attempts[i]!.counted; i--) streak++;
    delay = throttleBackoff(streak, policy.retryDelaysMs);
  }
  const at = now + delay;
  if (at > enqueuedAt + policy.maximumEventAgeInSeconds * 1000) return { kind: "finish", condition: "EventAgeExceeded" };
  return { kind: "retry", at };
}

/** 1 s (or the first retry delay, when shorter), doubling per throttle in a row, up to the longest retry delay. */
export function throttleBackoff(streak: number, retryDelaysMs: readonly number[]): number {
  const max = Math.max(...retryDelaysMs, 1);
  const base = Math.min(1000, retryDelaysMs[0] ?? 1000);
  return Math.min(base * 2 ** Math.max(0, streak - 1), max);
}

/** True when the event is older than the policy allows. */
export function eventAgeExceeded(policy: RetryPolicy, enqueuedAt: number, now: number): boolean {
  return now - enqueuedAt > policy.maximumEventAgeInSeconds * 1000;
}

/** `text` cut to MAX_RECORDED_RESULT_BYTES of UTF-8 (on a character boundary), marked when cut. */
export function truncate(text: string, max = MAX_RECORDED_RESULT_BYTES): string {
  if (Buffer.byteLength(text) <= max) return text;
  const mark = "…[truncated]";
  let cut = Buffer.from(text).subarray(0, max - Buffer.byteLength(mark)).toString("utf8");
  if (cut.endsWith("\uFFFD")) cut = cut.slice(0, -1);
  return cut + mark;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
