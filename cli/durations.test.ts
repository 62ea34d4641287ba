import { test } from "node:test";
import assert from "node:assert/strict";
import { isoDuration, parseCliDuration, sinceTime } from "./durations.ts";
import { CliError } from "./exit-codes.ts";

test("parseCliDuration reads short forms, combinations and ISO-8601, and refuses anything else with a usage error", () => {
  assert.equal(parseCliDuration("500ms", "x"), 500);
  assert.equal(parseCliDuration("90s", "x"), 90_000);
  assert.equal(parseCliDuration("5m", "x"), 300_000);
  assert.equal(parseCliDuration("1h30m", "x"), 5_400_000);
  assert.equal(parseCliDuration("2d", "x"), 172_800_000);
  assert.equal(parseCliDuration("1.5s", "x"), 1500);
  assert.equal(parseCliDuration("PT10M", "x"), 600_000);
  assert.equal(parseCliDuration("pt2s", "x"), 2000);
  for (const bad of ["", "5", "5 m", "soon", "m5", "-1s"]) {
    assert.throws(() => parseCliDuration(bad, "--duration"), (e: unknown) => e instanceof CliError && e.exitCode === 2 && /--duration ".*" is not a duration/.test(e.message), bad);
  }
});

test("isoDuration writes seconds the API's ISO-8601 parser reads back", () => {
  assert.equal(isoDuration(300_000), "PT300S");
  assert.equal(isoDuration(1500), "PT1.5S");
  assert.equal(parseCliDuration(isoDuration(5_400_000), "x"), 5_400_000);
});

test("sinceTime counts back from now, and passes ISO times and epoch milliseconds through", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  assert.equal(sinceTime("10m", now), "2026-01-01T11:50:00.000Z");
  assert.equal(sinceTime("2025-12-31T00:00:00Z", now), "2025-12-31T00:00:00Z");
  assert.equal(sinceTime("1767268800000", now), "1767268800000");
});
