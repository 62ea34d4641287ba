import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRoutePath, routeShape } from "./triggers.ts";
import { parseSchedule } from "./triggers-scheduled.ts";

describe("route paths", () => {
  it("parses literals, parameters and a last greedy parameter; shapes ignore parameter names", () => {
    assert.deepEqual(parseRoutePath("/"), []);
    assert.deepEqual(parseRoutePath("/a/{id}/{rest+}"), [
      { kind: "literal", value: "a" },
      { kind: "param", name: "id" },
      { kind: "proxy", name: "rest" },
    ]);
    assert.equal(routeShape("/a/{id}/b"), routeShape("/a/{other}/b"));
    assert.notEqual(routeShape("/a/{id}"), routeShape("/a/{id+}"));
    for (const bad of ["a", "/a/", "//", "/{a}/{a}", "/{p+}/x", "/a{b}", "/a b", "/{}"]) assert.throws(() => parseRoutePath(bad), bad);
  });
});

describe("schedules", () => {
  it("parses EventBridge rate() and cron(), and 5/6-field cron", () => {
    assert.deepEqual(parseSchedule("rate(1 minute)"), { kind: "rate", everyMs: 60_000 });
    assert.deepEqual(parseSchedule("rate(3 hours)"), { kind: "rate", everyMs: 3 * 3_600_000 });
    assert.deepEqual(parseSchedule("rate(2 days)"), { kind: "rate", everyMs: 2 * 86_400_000 });
    assert.deepEqual(parseSchedule("cron(15 10 ? * MON-FRI *)"), { kind: "cron", pattern: "0 15 10 ? * MON-FRI *" });
    assert.deepEqual(parseSchedule("*/5 * * * *"), { kind: "cron", pattern: "*/5 * * * *" });
    assert.deepEqual(parseSchedule("30 */5 * * * *"), { kind: "cron", pattern: "30 */5 * * * *" });
    assert.throws(() => parseSchedule("rate(0 minutes)"), /positive/);
    assert.throws(() => parseSchedule("rate(2 minute)"), /rate\(2 minutes\)/);
    assert.throws(() => parseSchedule("cron(* * * * *)"), /6 fields/);
    assert.throws(() => parseSchedule("* * * *"), /neither rate/);
  });
});
