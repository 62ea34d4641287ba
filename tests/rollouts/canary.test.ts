/**
 * Canary and linear rollouts end to end, with metrics-based automatic rollback: a healthy canary
 * completes, a version that throws on half its calls is rolled back within one analysis interval
 * with the alias restored exactly, a version 300 ms slower is rolled back on p99, and a linear
 * rollout steps through its weights in order.
 */
import assert from "node:assert/strict";
import { forEachMode, it } from "../support/platform.ts";
import { CODE, createLiveFunction, finished, getDeployment, startDeployment, startLoad, waitForDeployment } from "./support.ts";

forEachMode("canary rollouts", (p) => {
  it("completes a healthy canary: 20% for the duration, then 100%, with every step in the events", async () => {
    await createLiveFunction(p(), "can-ok", [CODE.ok("v1"), CODE.ok("v2")]);
    const load = startLoad(p(), "can-ok", { concurrency: 3 });
    try {
      const id = await startDeployment(p(), {
        functionName: "can-ok",
        version: 2,
        strategy: "Canary",
        config: { canaryPercentage: 20, canaryDuration: "PT2S" },
        analysis: { interval: "PT1S", minRequests: 5, maxErrorRate: 0.05 },
      });
      const during = await waitForDeployment(p(), id, (d) => d.phase === "canary");
      assert.equal(during.status, "InProgress");
      assert.deepEqual(during.currentWeights, { "1": 0.8, "2": 0.2 });
      assert.equal(during.progress, 20);
      const done = await waitForDeployment(p(), id, finished);
      assert.equal(done.status, "Succeeded", done.reason);
      assert.equal(done.progress, 100);
      assert.deepEqual(done.currentWeights, { "2": 1 });
      const alias = await p().api("GET", "/api/v1/functions/can-ok/aliases/live");
      assert.equal(alias.json.version, 2);
      assert.deepEqual(alias.json.routingConfig.additionalVersionWeights, {});
      assert.equal(alias.json.description, "production", "the deployment keeps the alias description");
      const types = done.events.map((e: any) => e.type);
      assert.deepEqual(types.slice(0, 2), ["created", "transition"]);
      assert.ok(types.includes("analysis"), "analysis ran and was recorded");
      const transitions = done.events.filter((e: any) => e.toStatus).map((e: any) => e.toStatus);
      assert.deepEqual(transitions, ["Pending", "InProgress", "Succeeded"]);
      for (const e of done.events) assert.ok(!Number.isNaN(Date.parse(e.at)) && e.reason, "every event has a time and a reason");
      assert.ok(done.metrics.current["2"].requests + done.metrics.previous["2"].requests > 0, "per-version metrics are reported");
      assert.deepEqual(
        done.aliasChanges.map((c: any) => c.after.routingConfig.additionalVersionWeights),
        [{ "2": 0.2 }, {}],
        "the deployment wrote exactly its planned weights, each audited",
      );
    } finally {
      const results = await load.stop();
      assert.ok(results.every((r) => r.status === 200), "no request failed during a healthy canary");
    }
  });

  it("rolls back a version that throws on 50% of calls within one analysis interval and restores the alias exactly", async () => {
    await createLiveFunction(p(), "can-bad", [CODE.ok("v1"), CODE.flaky()]);
    const before = (await p().api("GET", "/api/v1/functions/can-bad/aliases/live")).json;
    const load = startLoad(p(), "can-bad", { concurrency: 4 });
    try {
      const id = await startDeployment(p(), {
        functionName: "can-bad",
        version: 2,
        strategy: "Canary",
        config: { canaryPercentage: 50, canaryDuration: "PT1M" },
        analysis: { interval: "PT3S", minRequests: 6, maxErrorRate: 0.1 },
      });
      const done = await waitForDeployment(p(), id, finished);
      assert.equal(done.status, "RolledBack");
      assert.match(done.reason, /error rate \d+\.\d% of version 2 exceeds maxErrorRate 10\.0%/);
      const after = (await p().api("GET", "/api/v1/functions/can-bad/aliases/live")).json;
      assert.deepEqual({ ...after, updatedAt: undefined }, { ...before, updatedAt: undefined }, "the alias is exactly as before");
      const results = await load.stop();
      const firstBad = results.find((r) => r.version === "2" && r.status !== 200);
      assert.ok(firstBad, "the bad version served errors");
      const restored = Date.parse(done.aliasChanges.at(-1).at);
      assert.ok(restored - firstBad.at < 3000, `alias restored ${restored - firstBad.at} ms after the first bad request, within the 3 s interval`);
      const late = results.filter((r) => r.sentAt > Date.parse(done.finishedAt) && r.version === "2");
      assert.equal(late.length, 0, "no request sent after the rollback reaches version 2");
    } finally {
      await load.stop();
    }
  });

  it("rolls back a version with 300 ms added latency on the p99 threshold", async () => {
    await createLiveFunction(p(), "can-slow", [CODE.ok("v1"), CODE.slow()]);
    const load = startLoad(p(), "can-slow", { concurrency: 6 });
    try {
      const id = await startDeployment(p(), {
        functionName: "can-slow",
        version: 2,
        strategy: "Canary",
        config: { canaryPercentage: 50, canaryDuration: "PT1M" },
        analysis: { interval: "PT2S", minRequests: 5, maxP99LatencyMs: 200 },
      });
      const done = await waitForDeployment(p(), id, finished);
      assert.equal(done.status, "RolledBack");
      assert.match(done.reason, /p99 latency \d+ ms of version 2 exceeds maxP99LatencyMs 200 ms/);
      assert.equal((await p().api("GET", "/api/v1/functions/can-slow/aliases/live")).json.version, 1);
    } finally {
      await load.stop();
    }
  });

  it("rolls back on a p99 increase relative to the old version", async () => {
    await createLiveFunction(p(), "can-rel", [CODE.ok("v1"), CODE.slow()]);
    const load = startLoad(p(), "can-rel", { concurrency: 6 });
    try {
      const id = await startDeployment(p(), {
        functionName: "can-rel",
        version: 2,
        strategy: "Canary",
        config: { canaryPercentage: 50, canaryDuration: "PT1M" },
        analysis: { interval: "PT2S", minRequests: 5, maxP99Increase: 1 },
      });
      const done = await waitForDeployment(p(), id, finished);
      assert.equal(done.status, "RolledBack");
      assert.match(done.reason, /exceeds version 1's \d+ ms by more than maxP99Increase 100\.0%/);
    } finally {
      await load.stop();
    }
  });

  it("steps a linear rollout through 40%, 80%, then 100%", async () => {
    await createLiveFunction(p(), "lin", [CODE.ok("v1"), CODE.ok("v2")]);
    const load = startLoad(p(), "lin", { concurrency: 3 });
    try {
      const id = await startDeployment(p(), {
        functionName: "lin",
        version: 2,
        strategy: "Linear",
        config: { stepPercentage: 40, stepInterval: "PT1S" },
        analysis: { interval: "PT1S", minRequests: 3 },
      });
      const done = await waitForDeployment(p(), id, finished);
      assert.equal(done.status, "Succeeded", done.reason);
      const weights = done.events.filter((e: any) => e.type === "phase" || e.type === "transition").map((e: any) => e.weights?.["2"] ?? 0);
      assert.deepEqual(weights.filter((w: number) => w > 0), [0.4, 0.8, 1, 1]);
    } finally {
      await load.stop();
    }
  });

  it("holds a step without traffic instead of promoting it unevaluated", async () => {
    await createLiveFunction(p(), "can-idle", [CODE.ok("v1"), CODE.ok("v2")]);
    const id = await startDeployment(p(), {
      functionName: "can-idle",
      version: 2,
      strategy: "Canary",
      config: { canaryPercentage: 10, canaryDuration: "PT1S" },
      analysis: { interval: "PT1S", minRequests: 5 },
    });
    const held = await waitForDeployment(p(), id, (d) => d.events.some((e: any) => e.type === "hold"));
    assert.equal(held.status, "InProgress");
    assert.equal(held.phase, "canary");
    assert.match(held.events.find((e: any) => e.type === "hold").reason, /served 0 of the 5 requests/);
    const r = await p().api("POST", `/api/v1/deployments/${id}/promote`, { reason: "no traffic at night" });
    assert.equal(r.status, 200, r.text);
    assert.equal((await waitForDeployment(p(), id, finished)).status, "Succeeded");
    assert.ok((await getDeployment(p(), id)).events.some((e: any) => /promoted by key:.*no traffic at night/.test(e.reason ?? "")));
  });
});
