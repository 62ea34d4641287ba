import assert from "node:assert/strict";
import { test } from "node:test";
import { formatMs, parseDuration } from "./durations.ts";

test("parses ISO-8601 durations with days, hours, minutes and fractional seconds", () => {
  assert.equal(parseDuration("PT30S"), 30_000);
  assert.equal(parseDuration("PT10M"), 600_000);
  assert.equal(parseDuration("PT1H30M"), 5_400_000);
  assert.equal(parseDuration("PT0.5S"), 500);
  assert.equal(parseDuration("P1D"), 86_400_000);
  assert.equal(parseDuration("P1DT2H"), 93_600_000);
  assert.equal(parseDuration("P1W"), 604_800_000);
  assert.equal(parseDuration("PT0S"), 0);
});

test("refuses what is not an ISO-8601 duration, and years and months", () => {
  for (const bad of ["", "P", "PT", "30s", "10 minutes", "PT10", "P1Y", "P1M", "pt10m", "PT-5S", "T10M"]) {
    assert.equal(parseDuration(bad), undefined, bad);
  }
});

test("formats milliseconds for messages", () => {
  assert.deepEqual([200, 1000, 1500, 90_000, 7_200_000].map(formatMs), ["200 ms", "1 s", "1.5 s", "1.5 min", "2 h"]);
});
