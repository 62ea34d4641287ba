/**
 * Strategies that switch all traffic at once: blue-green (prewarm, smoke, atomic switch under
 * load with zero failed requests, rollback window), a failed smoke that leaves the alias alone,
 * Direct, Rolling on the embedded runner (one runner = one batch), in-flight invocations on the
 * old version finishing after the switch, and pre-/post-traffic hooks.
 */
import assert from "node:assert/strict";
import { forEachMode, it } from "../support/platform.ts";
import { CODE, createFunction, createLiveFunction, finished, getDeployment, startDeployment, startLoad, waitForDeployment } from "./support.ts";

forEachMode("switching rollouts", (p) => {
  it("blue-green under steady load: prewarms, smoke-invokes, switches atomically and drops no request", async () => {
    await createLiveFunction(p(), "bg", [CODE.sleepy("v1"), CODE.sleepy("v2")]);
    const load = startLoad(p(), "bg", { concurrency: 4, event: { ms: 20 } });
    try {
      await new Promise((r) => setTimeout(r, 500)); // version 1 warms up under the load
      const id = await startDeployment(p(), {
        functionName: "bg",
        version: 2,
        strategy: "BlueGreen",
        config: { rollbackWindow: "PT1S", smokeEvent: { ms: 1 } },
        analysis: { interval: "PT1S", minRequests: 5 },
      });
      const done = await waitForDeployment(p(), id, finished);
      assert.equal(done.status, "Succeeded", done.reason);
      const phases = done.events.filter((e: any) => e.data?.phase).map((e: any) => e.data.phase);
      assert.deepEqual(phases, ["prewarm", "smoke", "post-traffic", "bake"]);
      const prewarm = done.events.find((e: any) => e.data?.phase === "smoke");
      assert.ok(prewarm.data.live >= Math.max(1, prewarm.data.warm), `prewarmed to the warm count: ${prewarm.reason}`);
      assert.deepEqual(
        done.aliasChanges.map((c: any) => [c.after.version, c.after.routingConfig.additionalVersionWeights]),
        [[2, {}]],
        "one atomic alias write from version 1 to version 2",
      );
    } finally {
      const results = await load.stop();
      const failed = results.filter((r) => r.status !== 200);
      assert.equal(failed.length, 0, `failed requests during the switch: ${JSON.stringify(failed.slice(0, 3))}`);
      const versions = results.map((r) => r.version);
      assert.ok(versions.includes("1") && versions.includes("2"), "traffic moved from version 1 to version 2");
      const lastV1 = Math.max(...results.filter((r) => r.version === "1").map((r) => r.at));
      const firstV2 = Math.min(...results.filter((r) => r.version === "2").map((r) => r.at));
      assert.ok(results.length >= 10, `steady load: ${results.length} requests`);
      assert.ok(lastV1 - firstV2 < 500, "the switch is atomic: no long mixed period");
    }
  });

  it("fails a blue-green deployment whose smoke invocation fails and leaves the alias untouched", async () => {
    await createLiveFunction(p(), "bg-smoke", [CODE.ok("v1"), CODE.broken()]);
    const before = (await p().api("GET", "/api/v1/functions/bg-smoke/aliases/live")).json;
    const id = await startDeployment(p(), { functionName: "bg-smoke", version: 2, strategy: "BlueGreen", config: { rollbackWindow: "PT5S" } });
    const done = await waitForDeployment(p(), id, finished);
    assert.equal(done.status, "Failed");
    assert.match(done.reason, /smoke invocation of version 2 failed: Error: broken build; the alias was not changed/);
    assert.deepEqual(done.aliasChanges, [], "no alias write at all");
    assert.deepEqual((await p().api("GET", "/api/v1/functions/bg-smoke/aliases/live")).json, before);
  });

  it("lets in-flight invocations on the old version finish after a Direct switch", async () => {
    await createLiveFunction(p(), "drain", [CODE.sleepy("v1"), CODE.sleepy("v2")]);
    const slow = p().api("POST", "/api/v1/functions/drain/invoke", JSON.stringify({ ms: 1500 }), { "content-type": "application/json" });
    await new Promise((r) => setTimeout(r, 300));
    const id = await startDeployment(p(), { functionName: "drain", version: 2, strategy: "Direct" });
    const done = await waitForDeployment(p(), id, finished);
    assert.equal(done.status, "Succeeded");
    const after = await p().api("POST", "/api/v1/functions/drain/invoke", "{}", { "content-type": "application/json" });
    assert.equal(after.headers.get("x-hotswap-version"), "2");
    const r = await slow;
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get("x-hotswap-version"), "1", "the drained version finished its invocation");
  });

  it("creates the alias with a Direct deployment when it did not exist, and restoring it deletes it again", async () => {
    await createFunction(p(), "direct-new", [CODE.ok("v1")]);
    const id = await startDeployment(p(), { functionName: "direct-new", version: 1, strategy: "Direct", alias: "stable" });
    const done = await waitForDeployment(p(), id, finished);
    assert.equal(done.status, "Succeeded");
    assert.equal(done.fromVersion, null);
    assert.equal((await p().api("GET", "/api/v1/functions/direct-new/aliases/stable")).json.version, 1);
    await createFunction(p(), "deny-v1", [CODE.hook()], { environment: { FAIL_VERSION: "1" } });
    const denied = await startDeployment(p(), {
      functionName: "direct-new",
      version: 1,
      strategy: "Direct",
      alias: "canary",
      hooks: { postTraffic: { functionName: "deny-v1" } },
    });
    assert.equal((await waitForDeployment(p(), denied, finished)).status, "Failed");
    const gone = await p().api("GET", "/api/v1/functions/direct-new/aliases/canary");
    assert.equal(gone.status, 404, "the alias did not exist before, so restoring it deletes it");
  });

  it("rolls out batch by batch; on the embedded runner one runner is one batch", async () => {
    await createLiveFunction(p(), "roll", [CODE.ok("v1"), CODE.ok("v2")]);
    const id = await startDeployment(p(), {
      functionName: "roll",
      version: 2,
      strategy: "Rolling",
      config: { batchPercentage: 50, batchInterval: "PT1S" },
    });
    const done = await waitForDeployment(p(), id, finished);
    assert.equal(done.status, "Succeeded", done.reason);
    assert.match(done.events.find((e: any) => e.toStatus === "InProgress").reason, /all traffic to version 2/);
    assert.deepEqual(done.aliasChanges.length, 1);
  });

  it("runs pre- and post-traffic hooks; a failing pre-traffic hook fails the deployment before any traffic moves", async () => {
    await createFunction(p(), "hook-fn", [CODE.hook()], { environment: { FAIL_VERSION: "3" } });
    await createLiveFunction(p(), "hooked", [CODE.ok("v1"), CODE.ok("v2"), CODE.ok("v3")]);
    const hooks = { preTraffic: { functionName: "hook-fn" }, postTraffic: { functionName: "hook-fn", qualifier: "1" } };
    const ok = await startDeployment(p(), { functionName: "hooked", version: 2, strategy: "Direct", hooks });
    const done = await waitForDeployment(p(), ok, finished);
    assert.equal(done.status, "Succeeded", done.reason);
    assert.match(done.events.find((e: any) => e.data?.phase === "post-traffic").reason, /pre-traffic hook passed/);
    assert.match(done.reason, /post-traffic hook passed/);
    const bad = await startDeployment(p(), { functionName: "hooked", version: 3, strategy: "Canary", config: { canaryPercentage: 10, canaryDuration: "PT1S" }, hooks });
    const failed = await waitForDeployment(p(), bad, finished);
    assert.equal(failed.status, "Failed");
    assert.match(failed.reason, /preTraffic hook hook-fn failed: Error: hook refused version 3; the alias was not changed/);
    assert.deepEqual(failed.aliasChanges, []);
    assert.equal((await p().api("GET", "/api/v1/functions/hooked/aliases/live")).json.version, 2);
  });

  it("fails the deployment and restores the alias when the post-traffic hook fails", async () => {
    await createFunction(p(), "post-hook", [CODE.hook()], { environment: { FAIL_VERSION: "2" } });
    await createLiveFunction(p(), "posted", [CODE.ok("v1"), CODE.ok("v2")]);
    const id = await startDeployment(p(), { functionName: "posted", version: 2, strategy: "Direct", hooks: { postTraffic: { functionName: "post-hook" } } });
    const done = await waitForDeployment(p(), id, finished);
    assert.equal(done.status, "Failed");
    assert.match(done.reason, /postTraffic hook post-hook failed: .*hook refused version 2; the alias was restored/);
    assert.equal((await p().api("GET", "/api/v1/functions/posted/aliases/live")).json.version, 1);
    const view = await getDeployment(p(), id);
    assert.deepEqual(view.currentWeights, { "1": 1 });
  });
});
