/**
 * End-to-end: a Scheduled trigger ticking every second (a 6-field cron) on two control planes that
 * share Postgres and Redis, with a leader change in the middle (the leader shuts down): every tick
 * fires exactly once (the sequence of tick times has no gap and no duplicate), each as an
 * EventBridge Scheduled Event, the trigger's statistics count them, and disabling it stops firing.
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { eq } from "drizzle-orm";
import { schema } from "../../platform/src/db/index.ts";
import { it } from "../support/platform.ts";
import { serversSkipReason, SkipError } from "../support/platform.ts";
import { waitFor } from "../support/wait-for.ts";
import { apiOf, deployInline, ECHO, FAST_ASYNC_ENV } from "./support.ts";
import { startReplicas, type Replicas } from "./two-replicas.ts";

describe("Scheduled triggers across two control planes", () => {
  let r: Replicas | undefined;
  let skip: string | undefined;
  before(async () => {
    skip = await serversSkipReason();
    if (!skip) r = await startReplicas({ ...FAST_ASYNC_ENV, HOTSWAP_SCHEDULE_INTERVAL: "PT0.1S" });
  });
  after(async () => {
    await r?.close();
  });

  it(
    "fires each tick exactly once through a leader change, as EventBridge Scheduled Events",
    async () => {
      if (skip) throw new SkipError(skip);
      const [a] = r!.planes;
      await deployInline(a!, "ticker", ECHO);
      const trigger = await r!.repos.triggers.create({ functionName: "ticker", type: "Scheduled", config: { schedule: "*/1 * * * * *", input: { job: "report" } } });
      const api = apiOf(a!);
      const records = async () => {
        const out = [];
        let cursor: string | undefined;
        do {
          const page = await api.async.list("ticker", { source: trigger.id, limit: 100, cursor });
          assert.ok(page.ok);
          out.push(...page.value.invocations);
          cursor = page.value.nextCursor;
        } while (cursor);
        return out;
      };
      // A alone is the leader; B joins as a standby, then A shuts down and B takes over.
      await waitFor("three ticks fired by the first replica", async () => (await records()).length >= 3, { timeoutMs: 10_000 });
      const b = await r!.add();
      await waitFor("two more ticks", async () => (await records()).length >= 5, { timeoutMs: 10_000 });
      const changedAt = Date.now();
      await a!.close();
      const apiB = apiOf(b);
      await waitFor("three ticks fired by the new leader", async () => {
        const page = await apiB.async.list("ticker", { source: trigger.id, limit: 100 });
        return page.ok && page.value.invocations.filter((i) => Date.parse(i.createdAt) > changedAt + 500).length >= 3;
      }, { timeoutMs: 15_000 });
      await r!.db.update(schema.triggers).set({ enabled: false }).where(eq(schema.triggers.id, trigger.id));
      const stoppedAt = Date.now();
      // Every queued tick finishes, and no new one appears once disabled.
      const all = await waitFor(
        "every tick to finish",
        async () => {
          const page = await apiB.async.list("ticker", { source: trigger.id, limit: 100 });
          return page.ok && page.value.invocations.every((i) => i.status === "Succeeded") ? page.value.invocations : undefined;
        },
        { timeoutMs: 15_000 },
      );
      await new Promise((res) => setTimeout(res, 1500));
      const final = await apiB.async.list("ticker", { source: trigger.id, limit: 100 });
      assert.ok(final.ok);
      assert.equal(final.value.invocations.length, all.length, "nothing fires once the trigger is disabled");
      assert.ok(final.value.invocations.every((i) => Date.parse(i.createdAt) <= stoppedAt + 200), "no record created after disabling");

      const events = all.map((i) => JSON.parse(i.result!).got);
      const times = events.map((e) => Date.parse(e.time)).sort((x, y) => x - y);
      console.log(`ticks fired: ${times.length}, across the leader change at ${new Date(changedAt).toISOString()}`);
      assert.equal(new Set(times).size, times.length, "no tick fired twice");
      for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 1000, `no gap between ${new Date(times[i - 1]!).toISOString()} and ${new Date(times[i]!).toISOString()}`);
      assert.ok(times.some((t) => t > changedAt) && times.some((t) => t < changedAt), "the sequence spans the leader change");
      for (const e of events) {
        assert.equal(e["detail-type"], "Scheduled Event");
        assert.equal(e.source, "aws.events");
        assert.equal(e.version, "0");
        assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.deepEqual(e.detail, { job: "report" });
        assert.deepEqual(e.resources, [`arn:aws:events:us-east-1:000000000000:rule/hotswap-trigger-${trigger.id}`]);
      }
      assert.equal(new Set(all.map((i) => i.requestId)).size, all.length);
      assert.ok(all.every((i, k) => JSON.parse(i.result!).requestId === i.requestId && events[k].id === i.requestId));
      const stats = await r!.repos.triggers.get(trigger.id);
      const [row] = await r!.db.select().from(schema.triggers).where(eq(schema.triggers.id, trigger.id));
      assert.ok(stats);
      assert.equal(row!.executionCount, all.length);
      assert.equal(row!.failureCount, 0);
      assert.ok(row!.lastExecutedAt);
      assert.equal(row!.lastFiredTick?.getTime(), times[times.length - 1]);
    },
    { timeout: 90_000 },
  );
});
