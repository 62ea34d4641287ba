/** Usage query ranges: widened to whole buckets, defaults, and precise 400s for bad ranges. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isApiError } from "../../../protocol/errors.ts";
import { UsageQuery } from "../../../protocol/api/usage.ts";
import { resolveRange } from "./usage-range.ts";

const NOW = Date.parse("2026-12-07T13:25:00Z");
const isoRange = (r: { from: number; to: number }) => [new Date(r.from).toISOString(), new Date(r.to).toISOString()];

describe("resolveRange", () => {
  test("defaults to the last 24 hours for hour buckets and 30 days for day buckets, up to the end of the current bucket", () => {
    assert.deepEqual(isoRange(resolveRange({ granularity: "hour" }, NOW)), ["2026-12-06T14:00:00.000Z", "2026-12-07T14:00:00.000Z"]);
    assert.deepEqual(isoRange(resolveRange({ granularity: "day" }, NOW)), ["2026-11-08T00:00:00.000Z", "2026-12-08T00:00:00.000Z"]);
  });

  test("widens from and to to whole hours or UTC days; to stays exclusive on a boundary", () => {
    assert.deepEqual(isoRange(resolveRange({ from: "2026-12-01T10:30:00Z", to: "2026-12-01T12:00:00Z", granularity: "hour" }, NOW)), [
      "2026-12-01T10:00:00.000Z",
      "2026-12-01T12:00:00.000Z",
    ]);
    assert.deepEqual(isoRange(resolveRange({ from: "2026-12-01T10:30:00+02:00", to: "2026-12-02T00:00:01Z", granularity: "day" }, NOW)), [
      "2026-12-01T00:00:00.000Z",
      "2026-12-03T00:00:00.000Z",
    ]);
    assert.deepEqual(isoRange(resolveRange({ from: "2026-12-01", to: "2026-12-03", granularity: "day" }, NOW)), ["2026-12-01T00:00:00.000Z", "2026-12-03T00:00:00.000Z"]);
  });

  test("answers ValidationError for a reversed or empty range, naming both ends", () => {
    assert.throws(
      () => resolveRange({ from: "2026-12-05T00:00:00Z", to: "2026-12-01T00:00:00Z", granularity: "hour" }, NOW),
      (e: unknown) => isApiError(e) && e.code === "ValidationError" && /"from" \(2026-12-05T00:00:00.000Z\) must be before "to" \(2026-12-01T00:00:00.000Z\)/.test(e.message),
    );
    assert.throws(() => resolveRange({ from: "2026-12-01T00:00:00Z", to: "2026-12-01T00:00:00Z", granularity: "hour" }, NOW), /must be before/);
  });

  test("answers ValidationError for a range over 366 days, and accepts exactly 366", () => {
    assert.throws(
      () => resolveRange({ from: "2025-01-01", to: "2026-01-03", granularity: "day" }, NOW),
      (e: unknown) => isApiError(e) && e.status === 400 && /covers 367 days; one query may cover at most 366/.test(e.message),
    );
    const r = resolveRange({ from: "2025-01-01", to: "2026-01-02", granularity: "day" }, NOW);
    assert.equal((r.to - r.from) / 86_400_000, 366);
  });
});

describe("UsageQuery", () => {
  test("accepts ISO-8601 times with an offset and dates, and defaults granularity to hour", () => {
    const q = UsageQuery.parse({ from: "2026-12-01T00:00:00.123+05:30", to: "2026-12-02" });
    assert.equal(q.granularity, "hour");
    assert.equal(UsageQuery.parse({ granularity: "day" }).granularity, "day");
  });

  test("refuses times without an offset, other formats and unknown granularities, saying what is expected", () => {
    for (const from of ["2026-12-01T00:00:00", "yesterday", "1733011200000", "2026-13-01"]) {
      const r = UsageQuery.safeParse({ from });
      assert.equal(r.success, false, from);
      assert.match(r.error!.issues[0]!.message, /ISO-8601 time with an offset/, from);
    }
    assert.equal(UsageQuery.safeParse({ granularity: "week" }).success, false);
  });
});
