import assert from "node:assert/strict";
import { test } from "node:test";
import { capacityOf, cronProblem, durationProblem, nextKeepWarm, scheduledMinimum, specCapacityFields } from "./capacity-settings.ts";

test("scheduled minimum: the highest minInstances among windows open now", () => {
  const at = new Date("2026-03-02T10:30:00Z"); // a Monday
  const schedules = [
    { schedule: "0 9 * * 1-5", duration: "PT8H", minInstances: 4 }, // 09:00-17:00 weekdays: open
    { schedule: "0 10 * * *", duration: "PT15M", minInstances: 9 }, // 10:00-10:15: closed at 10:30
    { schedule: "0 10 * * *", duration: "PT1H", minInstances: 2 }, // open, lower
  ];
  assert.equal(scheduledMinimum(schedules, at), 4);
  assert.equal(scheduledMinimum(schedules, new Date("2026-03-02T10:05:00Z")), 9);
  assert.equal(scheduledMinimum(schedules, new Date("2026-03-01T10:30:00Z")), 2); // Sunday: only the daily one
  assert.equal(scheduledMinimum(schedules, new Date("2026-03-02T08:59:59Z")), 0);
  // A window opens exactly at its fire time.
  assert.equal(scheduledMinimum([{ schedule: "0 9 * * *", duration: "PT1M", minInstances: 1 }], new Date("2026-03-02T09:00:00Z")), 1);
  // Time zones: 09:00 in Paris is 08:00 UTC in winter.
  assert.equal(scheduledMinimum([{ schedule: "0 9 * * *", duration: "PT1H", minInstances: 3, timezone: "Europe/Paris" }], new Date("2026-03-02T08:30:00Z")), 3);
});

test("cron and duration problems are precise", () => {
  assert.equal(cronProblem("*/5 * * * *"), undefined);
  assert.equal(cronProblem("*/5 * * * * *"), undefined);
  assert.match(cronProblem("every minute")!, /is not a cron expression/);
  assert.match(cronProblem("0 9 * * *", "Mars/Olympus")!, /is not an IANA time zone/);
  assert.equal(durationProblem("PT10M", 1000, 3600_000), undefined);
  assert.match(durationProblem("10 minutes", 1000, 3600_000)!, /is not an ISO-8601 duration/);
  assert.match(durationProblem("PT0.5S", 1000, 3600_000)!, /between 1 seconds and 1 hours/);
});

test("function columns become the API view and the spec fields", () => {
  const fn = {
    reservedConcurrency: 5,
    provisionedConcurrency: 2,
    keepWarm: { schedule: "*/5 * * * *", instances: 1 },
    scaling: { idleTimeout: "PT90S", schedules: [{ schedule: "0 9 * * *", duration: "PT1H", minInstances: 3 }] },
  };
  assert.deepEqual(capacityOf(fn), {
    reservedConcurrency: 5,
    provisionedConcurrency: 2,
    keepWarm: { schedule: "*/5 * * * *", instances: 1 },
    idleTimeout: "PT90S",
    scheduledScaling: [{ schedule: "0 9 * * *", duration: "PT1H", minInstances: 3 }],
  });
  assert.deepEqual(specCapacityFields(fn), { idleTimeout: 90, reservedConcurrency: 5 });
  assert.deepEqual(specCapacityFields({ reservedConcurrency: null, scaling: null }), {});
  assert.deepEqual(capacityOf({ reservedConcurrency: null, provisionedConcurrency: 0, keepWarm: null, scaling: null }).scheduledScaling, []);
});

test("keep-warm fires on its cron", () => {
  const next = nextKeepWarm({ schedule: "*/5 * * * *", instances: 1 }, new Date("2026-03-02T10:31:00Z"));
  assert.equal(next?.toISOString(), "2026-03-02T10:35:00.000Z");
});
