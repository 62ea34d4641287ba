import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSchedule, type Schedule } from "./schedule-expression.ts";
import { ScheduledTriggerConfig } from "./api/triggers-scheduled.ts";

const next = (expr: string, after: string, opts: { timezone?: string; anchor?: Date } = {}) => {
  const s = parseSchedule(expr, opts) as Schedule | string;
  assert.ok(typeof s !== "string", String(s));
  return s.next(new Date(after))?.toISOString();
};

test("EventBridge cron: minutes hours day month day-of-week year, ? for any, 1-7 = SUN-SAT", () => {
  assert.equal(next("cron(0 12 * * ? *)", "2026-01-01T13:00:00Z"), "2026-01-02T12:00:00.000Z");
  assert.equal(next("cron(0 12 ? * 2 *)", "2026-12-05T00:00:00Z"), "2026-12-07T12:00:00.000Z", "2 is Monday");
  assert.equal(next("cron(15 10 ? * MON-FRI *)", "2026-12-05T00:00:00Z"), "2026-12-07T10:15:00.000Z");
  assert.equal(next("cron(0 0 1 1 ? 2028)", "2026-01-01T00:00:00Z"), "2028-01-01T00:00:00.000Z");
});

test("rate expressions tick every period from their anchor", () => {
  const anchor = new Date("2026-01-01T00:00:07Z");
  assert.equal(next("rate(1 minute)", "2026-01-01T00:00:07Z", { anchor }), "2026-01-01T00:01:07.000Z");
  assert.equal(next("rate(2 hours)", "2026-01-01T03:00:00Z", { anchor }), "2026-01-01T04:00:07.000Z");
  assert.equal(next("rate(1 day)", "2026-01-01T00:00:06Z", { anchor }), "2026-01-02T00:00:07.000Z");
});

test("standard cron: 5 fields, or 6 with seconds first, in a time zone", () => {
  assert.equal(next("*/10 * * * * *", "2026-01-01T00:00:01Z"), "2026-01-01T00:00:10.000Z");
  assert.equal(next("0 9 * * *", "2026-07-01T00:00:00Z", { timezone: "Europe/Paris" }), "2026-07-01T07:00:00.000Z");
  assert.equal(next("0 9 * * 1", "2026-12-05T00:00:00Z"), "2026-12-07T09:00:00.000Z", "1 is Monday in standard cron");
});

test("refuses what it cannot read, saying what to write instead", () => {
  assert.equal(parseSchedule("rate(1 minutes)"), "write rate(1 minute), singular, as EventBridge does");
  assert.equal(parseSchedule("rate(5 minute)"), "write rate(5 minutes), plural, as EventBridge does");
  assert.match(String(parseSchedule("rate(10 seconds)")), /for seconds use a 6-field cron/);
  assert.equal(parseSchedule("cron(0 12 * * * *)"), 'cron(0 12 * * * *): exactly one of day-of-month and day-of-week must be "?", as EventBridge requires');
  assert.match(String(parseSchedule("cron(0 12 * *)")), /must have 6 fields/);
  assert.match(String(parseSchedule("0 9 * *")), /standard cron of 5 fields/);
  assert.equal(parseSchedule("70 * * * *"), '"70 * * * *" is not a valid cron expression: Invalid value for minute: 70');
  assert.match(String(parseSchedule("* * * * *", { timezone: "Mars/Olympus" })), /^timezone "Mars\/Olympus" is not an IANA time zone/);
});

test("the Scheduled trigger config: defaults, and 400-ready issues on the right field", () => {
  const ok = ScheduledTriggerConfig.parse({ schedule: "rate(5 minutes)" });
  assert.deepEqual(ok, { schedule: "rate(5 minutes)", timezone: "UTC", catchUp: false });
  const bad = ScheduledTriggerConfig.safeParse({ schedule: "rate(0 minutes)" });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues.map((i) => [i.path.join("."), i.message]), [["schedule", "rate value must be a positive integer, got 0"]]);
  const tz = ScheduledTriggerConfig.safeParse({ schedule: "* * * * *", timezone: "Nowhere/City" });
  assert.deepEqual(tz.error!.issues.map((i) => i.path.join(".")), ["timezone"]);
  assert.equal(ScheduledTriggerConfig.safeParse({ schedule: "* * * * *", extra: 1 }).success, false);
});
