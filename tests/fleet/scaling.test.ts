/**
 * Fleet capacity over time: scale to zero after the function's idle timeout, scheduled minimums
 * (cron windows), keep-warm, and a runner's instance budget. One control plane and two
 * `hotswap runner` processes on Postgres and Redis.
 *   Needs Postgres and Redis (see tests/support/services.ts for how to start them).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { it, SkipError } from "../support/platform.ts";
import { eventually, fleetSkipReason, startCluster, type Cluster } from "./support/cluster.ts";
import { deployWhoami, instancesOf, invoke, total } from "./support/functions.ts";

describe("runner fleet: scaling over time", { timeout: 240_000 }, () => {
  let cluster: Cluster | undefined;
  let skip: string | undefined;
  before(async () => {
    skip = await fleetSkipReason();
    // No stems here: every start in these tests is a plain cold start.
    if (!skip) cluster = await startCluster({ runners: 2, runnerEnv: { RUNNER_STEMS: "0" } });
  });
  after(async () => {
    await cluster?.close();
  });
  const c = (): Cluster => {
    if (skip) throw new SkipError(skip);
    return cluster!;
  };

  it("scales a function to zero after its idleTimeout, and the next invocation is a cold start", async () => {
    const { cp } = c();
    await deployWhoami(cp, "idle", { idleTimeout: "PT2S" });
    const first = await invoke(cp, "idle");
    assert.equal(first.status, 200, first.text);
    assert.equal((await invoke(cp, "idle")).headers.get("x-hotswap-cold-start"), "false");
    const lastUse = Date.now();
    await eventually("the instance in a heartbeat", async () => total(await instancesOf(cp, "idle"), "instances") === 1, 3000, 100);
    await eventually("the instance to stop", async () => total(await instancesOf(cp, "idle"), "instances") === 0, 8000, 200);
    const idleFor = Date.now() - lastUse;
    assert.ok(idleFor >= 2000, `stopped after ${idleFor} ms, before the 2 s idle timeout`);
    const again = await invoke(cp, "idle");
    assert.equal(again.status, 200, again.text);
    assert.equal(again.headers.get("x-hotswap-cold-start"), "true");
    assert.notEqual(again.body.pid, first.body.pid);
  });

  it("keeps a scheduled minimum of instances while a cron window is open, and lets them go when it closes", async () => {
    const { cp } = c();
    // A window opening every second and lasting an hour: open from now on.
    await deployWhoami(cp, "sched", { idleTimeout: "PT2S", scheduledScaling: [{ schedule: "* * * * * *", duration: "PT1H", minInstances: 2 }] });
    const view = await cp.api("GET", "/api/v1/functions/sched");
    assert.deepEqual(view.json.scheduledScaling, [{ schedule: "* * * * * *", duration: "PT1H", minInstances: 2 }]);
    const m = await eventually("2 scheduled instances", async () => {
      const now = await instancesOf(cp, "sched");
      return total(now, "held") === 2 && total(now, "instances") >= 2 ? now : undefined;
    }, 10_000);
    assert.ok([...m.values()].every((v) => v.held === 1), "spread over both runners");
    // They outlive the 2 s idle timeout while the window is open.
    await sleep(3000);
    assert.ok(total(await instancesOf(cp, "sched"), "instances") >= 2);
    // A window that opened long ago and lasted a second is closed: holds go, then the idle instances.
    const closed = await cp.api("PUT", "/api/v1/functions/sched", { scheduledScaling: [{ schedule: "0 0 1 1 *", duration: "PT1S", minInstances: 2 }] });
    assert.equal(closed.status, 200, closed.text);
    await eventually("the scheduled instances to go", async () => total(await instancesOf(cp, "sched"), "instances") === 0, 15_000, 200);
  });

  it("keepWarm starts an instance on its schedule and keeps it warm past the idle timeout", async () => {
    const { cp } = c();
    await deployWhoami(cp, "warmed", { idleTimeout: "PT3S", keepWarm: { schedule: "*/1 * * * * *", instances: 1 } });
    assert.deepEqual((await cp.api("GET", "/api/v1/functions/warmed")).json.keepWarm, { schedule: "*/1 * * * * *", instances: 1 });
    await eventually("a keep-warm instance", async () => total(await instancesOf(cp, "warmed"), "instances") >= 1, 10_000);
    await sleep(4500); // longer than the idle timeout: only the keep-warm pings keep it
    const r = await invoke(cp, "warmed");
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get("x-hotswap-cold-start"), "false");
    const off = await cp.api("PUT", "/api/v1/functions/warmed", { keepWarm: null });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.json.keepWarm, null);
    await eventually("the instance to idle out", async () => total(await instancesOf(cp, "warmed"), "instances") === 0, 10_000, 200);
  });

  it("evicts another version's idle instance when a runner is at RUNNER_MAX_INSTANCES", async () => {
    const cl = c();
    const small = await cl.startRunner("tiny", { RUNNER_MAX_INSTANCES: "1", RUNNER_STEMS: "0" });
    await cl.waitForRunners(["r1", "r2", "tiny"]);
    const status = await small.status();
    assert.deepEqual(status.capacity, { memoryMb: 4096, maxInstances: 1 });
    // Stop the others so "tiny" serves everything.
    for (const r of cl.runners.filter((r) => r !== small)) await cl.stopRunner(r);
    cl.runners.splice(0, cl.runners.length, small);
    await cl.waitForRunners(["tiny"]);
    await deployWhoami(cl.cp, "fill-a");
    await deployWhoami(cl.cp, "fill-b");
    const a = await invoke(cl.cp, "fill-a");
    assert.equal(a.status, 200, a.text);
    const b = await invoke(cl.cp, "fill-b");
    assert.equal(b.status, 200, b.text);
    const s = await small.status();
    assert.equal(s.load.instances, 1, "one instance at a time on this runner");
    const live = Object.fromEntries(s.versions.map((v: { functionName: string; instances: number }) => [v.functionName, v.instances]));
    assert.deepEqual({ a: live["fill-a"] ?? 0, b: live["fill-b"] }, { a: 0, b: 1 }, "fill-a's idle instance was evicted for fill-b");
    // Both busy at once: the second has no room and no idle instance to evict, so it is refused.
    const [x, y] = await Promise.all([invoke(cl.cp, "fill-a", { sleepMs: 800 }), (async () => (await sleep(200), invoke(cl.cp, "fill-b")))()]);
    const statuses = [x.status, y.status].sort();
    assert.deepEqual(statuses, [200, 429], `${x.text} | ${y.text}`);
    const refused = [x, y].find((r) => r.status === 429)!;
    assert.match(refused.body.error.message, /runner is full \(1 of 1 instances/);
  });
});
