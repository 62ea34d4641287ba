import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSchedule, type Schedule } from "../../../protocol/schedule-expression.ts";
import { dueTicks } from "./due-ticks.ts";

const at = (s: string) => new Date(s);
const schedule = (expr: string, anchor?: Date): Schedule => {
  const s = parseSchedule(expr, { anchor });
  assert.ok(typeof s !== "string", String(s));
  return s;
};
const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

test("fires every tick after the last one fired, up to now, oldest first", () => {
  const d = dueTicks({ schedule: schedule("*/1 * * * * *"), lastFired: at("2026-01-01T00:00:00Z"), since: at("2025-01-01T00:00:00Z"), now: at("2026-01-01T00:00:03.500Z"), misfireGraceMs: 60_000, catchUp: false });
  assert.equal(d.skipTo, undefined);
  assert.deepEqual(iso(d.fire), ["2026-01-01T00:00:01.000Z", "2026-01-01T00:00:02.000Z", "2026-01-01T00:00:03.000Z"]);
});

test("the first tick is the first one after the trigger was created", () => {
  const d = dueTicks({ schedule: schedule("rate(5 minutes)", at("2026-01-01T00:00:00Z")), lastFired: null, since: at("2026-01-01T00:00:00Z"), now: at("2026-01-01T00:11:00Z"), misfireGraceMs: 3_600_000, catchUp: false });
  assert.deepEqual(iso(d.fire), ["2026-01-01T00:05:00.000Z", "2026-01-01T00:10:00.000Z"]);
});

test("ticks missed beyond the grace are skipped without catch-up, and replayed with it", () => {
  const base = { schedule: schedule("0 * * * *"), lastFired: at("2026-01-01T00:00:00Z"), since: at("2025-01-01T00:00:00Z"), now: at("2026-01-01T05:30:00Z"), misfireGraceMs: 60 * 60_000 };
  const skipped = dueTicks({ ...base, catchUp: false });
  assert.equal(skipped.skipTo?.toISOString(), "2026-01-01T04:30:00.000Z");
  assert.deepEqual(iso(skipped.fire), ["2026-01-01T05:00:00.000Z"], "the tick within the grace still fires");
  const replayed = dueTicks({ ...base, catchUp: true });
  assert.equal(replayed.skipTo, undefined);
  assert.equal(replayed.fire.length, 5);
});

test("a catch-up is bounded per decision", () => {
  const d = dueTicks({ schedule: schedule("*/1 * * * * *"), lastFired: at("2026-01-01T00:00:00Z"), since: at("2025-01-01T00:00:00Z"), now: at("2026-01-02T00:00:00Z"), misfireGraceMs: 0, catchUp: true, limit: 10 });
  assert.equal(d.fire.length, 10);
  assert.equal(d.fire[9]!.toISOString(), "2026-01-01T00:00:10.000Z");
});

test("nothing is due before the next tick", () => {
  const d = dueTicks({ schedule: schedule("cron(0 12 * * ? *)"), lastFired: at("2026-01-01T12:00:00Z"), since: at("2025-01-01T00:00:00Z"), now: at("2026-01-02T11:59:59Z"), misfireGraceMs: 60_000, catchUp: false });
  assert.deepEqual(d, { fire: [] });
});
