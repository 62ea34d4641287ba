import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "../../../protocol/errors.ts";
import type { InvocationAttempt } from "../../../protocol/api/invocations.ts";
import { afterFailure, failureOf, failureOfThrown, throttleBackoff, truncate, type RetryPolicy } from "./retry-policy.ts";

const policy: RetryPolicy = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600, retryDelaysMs: [60_000, 120_000] };
const attempt = (counted: boolean): InvocationAttempt => ({ at: "2026-01-01T00:00:00Z", counted });
const base = { warm: { coldStart: false, start: "warm" as const, durationMs: 1 } };

test("handler errors and crashes count; throttles and refusals do not", () => {
  const fe = failureOf({ ...base.warm, kind: "function-error", payload: Buffer.from('{"errorType":"TypeError","errorMessage":"x"}') })!;
  assert.deepEqual([fe.counted, fe.error, fe.functionError], [true, { errorType: "TypeError", errorMessage: "x" }, "Unhandled"]);
  assert.equal(failureOf({ kind: "platform-error", code: "TimeoutError", message: "t" })!.counted, true);
  assert.equal(failureOf({ kind: "platform-error", code: "TooManyRequests", message: "t" })!.counted, false);
  assert.equal(failureOf({ kind: "platform-error", code: "InstanceCrashed", message: "t", refused: true })!.counted, false);
  assert.equal(failureOf({ ...base.warm, kind: "success", payload: Buffer.from("1") }), undefined);
});

test("a missing function is final; a 429 or 503 before the runner is retried uncounted", () => {
  const gone = failureOfThrown(new ApiError("FunctionNotFound", "no"));
  assert.deepEqual([gone.retryable, gone.counted], [false, true]);
  assert.deepEqual(afterFailure([attempt(true)], gone, policy, 0, 0), { kind: "finish", condition: "RetriesExhausted" });
  const busy = failureOfThrown(new ApiError("TooManyRequests", "slow down"));
  assert.deepEqual([busy.retryable, busy.counted], [true, false]);
});

test("counted failures retry after the configured delays, then exhaust", () => {
  const f = failureOfThrown(new ApiError("TimeoutError", "t"));
  const fail = { ...f, counted: true, retryable: true };
  assert.deepEqual(afterFailure([attempt(true)], fail, policy, 0, 1000), { kind: "retry", at: 61_000 });
  assert.deepEqual(afterFailure([attempt(true), attempt(true)], fail, policy, 0, 1000), { kind: "retry", at: 121_000 });
  assert.deepEqual(afterFailure([attempt(true), attempt(true), attempt(true)], fail, policy, 0, 1000), { kind: "finish", condition: "RetriesExhausted" });
  assert.deepEqual(afterFailure([attempt(true)], fail, { ...policy, maximumRetryAttempts: 0 }, 0, 1000), { kind: "finish", condition: "RetriesExhausted" });
});

test("uncounted failures back off exponentially, and nothing waits past the event's age", () => {
  const throttled = { ...failureOfThrown(new ApiError("TooManyRequests", "t")) };
  assert.deepEqual(afterFailure([attempt(true), attempt(false), attempt(false)], throttled, policy, 0, 0), { kind: "retry", at: 2000 });
  assert.deepEqual(throttleBackoff(20, policy.retryDelaysMs), 120_000);
  assert.deepEqual(afterFailure([attempt(false)], throttled, { ...policy, maximumEventAgeInSeconds: 60 }, 0, 59_500), { kind: "finish", condition: "EventAgeExceeded" });
});

test("results are truncated to 4 KB on a character boundary and marked", () => {
  const t = truncate("é".repeat(5000));
  assert.ok(Buffer.byteLength(t) <= 4096);
  assert.ok(t.endsWith("…[truncated]"));
  assert.ok(!t.includes("\uFFFD"));
  assert.equal(truncate("short"), "short");
});
