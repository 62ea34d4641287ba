/** Which outcomes are billed and how: rounding up to 1 ms, GB-seconds, UTC hours and days. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { InvokeOutcome, PlatformErrorCode } from "../../../protocol/invoke.ts";
import { billedMs, dayStart, gbSecondsOf, hourStart, isBilled, isError } from "./billing.ts";

const ran = { coldStart: false, start: "warm" as const, durationMs: 12.3 };
const success: InvokeOutcome = { kind: "success", payload: Buffer.alloc(0), ...ran };
const functionError: InvokeOutcome = { kind: "function-error", payload: Buffer.alloc(0), ...ran };
const onInstance = (code: PlatformErrorCode): InvokeOutcome => ({ kind: "platform-error", code, message: "m", ...ran });
const beforeInstance = (code: PlatformErrorCode, refused?: boolean): InvokeOutcome => ({ kind: "platform-error", code, message: "m", ...(refused ? { refused } : {}) });

describe("isBilled and isError", () => {
  test("bills successes and function errors; only the latter are errors", () => {
    assert.equal(isBilled(success), true);
    assert.equal(isError(success), false);
    assert.equal(isBilled(functionError), true);
    assert.equal(isError(functionError), true);
  });

  test("bills platform errors measured on an instance (timeout, out of memory, crash), as errors", () => {
    for (const code of ["TimeoutError", "OutOfMemory", "InstanceCrashed", "InternalError"] as const) {
      assert.equal(isBilled(onInstance(code)), true, code);
      assert.equal(isError(onInstance(code)), true, code);
    }
  });

  test("does not bill throttles, refusals, unavailability, lost runners, or failures before an instance ran the call", () => {
    assert.equal(isBilled(beforeInstance("TooManyRequests")), false);
    assert.equal(isBilled(beforeInstance("TooManyRequests", true)), false);
    assert.equal(isBilled(beforeInstance("ServiceUnavailable", true)), false);
    assert.equal(isBilled(beforeInstance("RunnerLost")), false);
    assert.equal(isBilled(beforeInstance("InitError")), false, "a start that failed carries no duration");
    assert.equal(isBilled(beforeInstance("RuntimeUnavailable")), false);
    // Even with a duration, a throttle or a refusal is not the function's run.
    assert.equal(isBilled(onInstance("TooManyRequests")), false);
    assert.equal(isBilled({ ...onInstance("InternalError"), refused: true } as InvokeOutcome), false);
  });
});

describe("billedMs", () => {
  test("rounds each duration up to a whole millisecond", () => {
    assert.equal(billedMs(12.3), 13);
    assert.equal(billedMs(12.0000001), 13);
    assert.equal(billedMs(12), 12);
    assert.equal(billedMs(999.5), 1000);
  });

  test("bills at least 1 ms, also for a duration that is zero, negative or not a number", () => {
    for (const d of [0, 0.0001, -5, Number.NaN, Number.POSITIVE_INFINITY, undefined]) assert.equal(billedMs(d), 1, String(d));
  });
});

describe("gbSecondsOf", () => {
  test("is billed ms × MB / 1024 / 1000", () => {
    assert.equal(gbSecondsOf(1000 * 1024), 1, "1 s at 1024 MB is 1 GB-s");
    assert.equal(gbSecondsOf(100 * 128), 0.0125, "100 ms at 128 MB");
    assert.equal(gbSecondsOf(1 * 10240), 0.01, "1 ms at 10240 MB");
  });
});

describe("hourStart and dayStart", () => {
  test("are the start of the UTC hour and day", () => {
    const t = Date.parse("2026-12-07T13:59:59.999Z");
    assert.equal(new Date(hourStart(t)).toISOString(), "2026-12-07T13:00:00.000Z");
    assert.equal(new Date(dayStart(t)).toISOString(), "2026-12-07T00:00:00.000Z");
    assert.equal(hourStart(Date.parse("2026-12-07T14:00:00Z")), Date.parse("2026-12-07T14:00:00Z"));
  });
});
