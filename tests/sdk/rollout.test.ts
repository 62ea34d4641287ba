/**
 * Alias updates with a rollout, against a real embedded control plane and its rollouts API: a
 * healthy canary succeeds and the update resolves once it has; a faulty version (a handler that
 * throws on every call) is rolled back, and the update is rejected with the platform's reason
 * while the stack keeps the old version. The last case runs in Pulumi's own dynamic-provider host.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { functionProvider } from "../../infra/sdk/function-provider.ts";
import { aliasProvider } from "../../infra/sdk/alias-provider.ts";
import type { AliasOutputs } from "../../infra/sdk/alias-inputs.ts";
import { ProviderHost, serializeProvider } from "./support/provider-host.ts";
import { FIXTURES, aliasInputs, captureLogs, codeDir, functionInputs, nodeHandler, removeCodeDirs } from "./support/sdk.ts";

/** Short rollouts: the platform judges every second once 5 requests came in. */
const CANARY = { strategy: "canary", percentage: 50, duration: "2 seconds", analysis: { interval: "1 second", minRequests: 5, maxErrorRate: 0.1 } };

/** Invokes the function's default alias from a few loops until stopped (or 60 s passed). */
function startLoad(p: TestPlatform, name: string) {
  let stopped = false;
  const deadline = Date.now() + 60_000;
  const statuses: Array<{ status: number; version: string | null }> = [];
  const loop = async () => {
    while (!stopped && Date.now() < deadline) {
      const res = await fetch(`${p.url}/api/v1/functions/${name}/invoke`, { method: "POST", headers: { authorization: `Bearer ${p.key}` }, body: "{}" });
      await res.arrayBuffer();
      statuses.push({ status: res.status, version: res.headers.get("x-hotswap-version") });
    }
  };
  const loops = Array.from({ length: 3 }, loop);
  return {
    statuses,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return statuses;
    },
  };
}

describe("hotswap.Alias rollouts against an embedded control plane", () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded");
  });
  after(async () => {
    await p?.close();
    await removeCodeDirs();
  });

  /** A function on version 1 (healthy) with alias live on it, rollout configured; returns the alias state. */
  async function liveOnVersion1(name: string, rollout: Record<string, unknown>) {
    const fn = await functionProvider.create(await functionInputs(p, name, await codeDir(nodeHandler("v1"))));
    const alias = await aliasProvider.create(await aliasInputs(p, name, "live", 1, { rollout }));
    return { fn: fn.outs, alias: alias.outs as AliasOutputs };
  }

  const liveAlias = async (name: string) => (await p.api("GET", `/api/v1/functions/${name}/aliases/live`)).json;

  test("a healthy canary succeeds: the update waits for it, reports its progress and ends on the new version", async () => {
    const { fn, alias } = await liveOnVersion1("canary-ok", CANARY);
    const v2 = await functionProvider.update!("canary-ok", fn, await functionInputs(p, "canary-ok", await codeDir(nodeHandler("v2"))));
    assert.equal(v2.outs.latestVersion, 2);
    const news = await aliasInputs(p, "canary-ok", "live", 2, { rollout: CANARY });
    assert.deepEqual(await aliasProvider.diff!("canary-ok:live", alias, news), { changes: true, replaces: [], deleteBeforeReplace: false });
    const load = startLoad(p, "canary-ok");
    const logged = await captureLogs(() => aliasProvider.update!("canary-ok:live", alias, news)); // never throws
    const statuses = await load.stop();
    assert.ok(statuses.every((s) => s.status === 200), "no request failed during a healthy canary");
    assert.ok(statuses.some((s) => s.version === "2"), "version 2 served traffic during the canary");
    assert.ifError(logged.error);
    const outs = logged.result!.outs as AliasOutputs;
    assert.equal(outs.version, 2);
    assert.match(outs.deploymentId!, /^[0-9a-f-]{36}$/);
    const live = await liveAlias("canary-ok");
    assert.equal(live.version, 2);
    assert.deepEqual(live.routingConfig.additionalVersionWeights, {});
    const text = logged.lines.join("\n");
    assert.match(text, /hotswap\.Alias "canary-ok:live": canary rollout from version 1 to version 2 started \(deployment [0-9a-f-]{36}\); waiting up to 1 hour\./);
    assert.match(text, /rollout to version 2 InProgress, phase canary, 50% of traffic on version 2/);
    assert.match(text, /: analysis.*: /, "analysis verdicts are reported");
    assert.match(text, /transition InProgress → Succeeded/);
    assert.match(text, /"canary-ok:live": now on version 2 \(rollout [0-9a-f-]{36} succeeded\)\./);
    // The stack now matches the platform: nothing more to do.
    assert.deepEqual(await aliasProvider.diff!("canary-ok:live", outs, news), { changes: false, replaces: [], deleteBeforeReplace: false });
  });

  test("a version that throws on every call is rolled back, and the update is rejected with the reason while the stack keeps version 1", async () => {
    const { fn, alias } = await liveOnVersion1("canary-bad", { ...CANARY, duration: "1 minute" });
    const v2 = await functionProvider.update!("canary-bad", fn, await functionInputs(p, "canary-bad", join(FIXTURES, "node-throws")));
    assert.equal(v2.outs.latestVersion, 2);
    const before = await liveAlias("canary-bad");
    const news = await aliasInputs(p, "canary-bad", "live", 2, { rollout: { ...CANARY, duration: "1 minute" } });
    const load = startLoad(p, "canary-bad");
    const logged = await captureLogs(() => aliasProvider.update!("canary-bad:live", alias, news)); // never throws
    await load.stop();
    assert.ok(logged.error, "the update is rejected");
    assert.match(
      logged.error.message,
      /^hotswap\.Alias "canary-bad:live": the canary rollout to version 2 was rolled back: .*error rate 100\.0% of version 2 exceeds maxErrorRate 10\.0%.*\. The alias is back on version 1, and the stack keeps version 1, so the next `pulumi up` tries again\. Details: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/deployments\/[0-9a-f-]{36}\.$/,
    );
    assert.match(logged.lines.join("\n"), /transition InProgress → RolledBack/);
    const after = await liveAlias("canary-bad");
    assert.deepEqual({ ...after, updatedAt: undefined }, { ...before, updatedAt: undefined }, "the alias is exactly as before the rollout");
    // Pulumi keeps the old state on a failed update, so the next run sees the same change again.
    assert.deepEqual(await aliasProvider.diff!("canary-bad:live", alias, news), { changes: true, replaces: [], deleteBeforeReplace: false });
  });

  test("a canary the platform holds for lack of traffic outlasts rollout.timeout: the update fails and the deployment goes on", async () => {
    const rollout = { strategy: "canary", duration: "2 seconds", analysis: { interval: "1 second", minRequests: 5 }, timeout: "4 seconds" };
    const { fn, alias } = await liveOnVersion1("canary-quiet", rollout);
    await functionProvider.update!("canary-quiet", fn, await functionInputs(p, "canary-quiet", await codeDir(nodeHandler("v2"))));
    const logged = await captureLogs(() => aliasProvider.update!("canary-quiet:live", alias, { ...alias, version: 2 }));
    assert.ok(logged.error);
    assert.match(
      logged.error.message,
      /^hotswap\.Alias "canary-quiet:live": the rollout to version 2 did not finish within 4 seconds \(deployment ([0-9a-f-]{36}) is InProgress\)\. It continues on the platform; the stack keeps version 1 until `pulumi refresh` reads the alias again\./,
    );
    assert.match(logged.lines.join("\n"), /hold: holding canary: version 2 served 0 of the 5 requests/);
    const id = /deployment ([0-9a-f-]{36})/.exec(logged.error.message)![1];
    const deployment = (await p.api("GET", `/api/v1/deployments/${id}`)).json;
    assert.equal(deployment.status, "InProgress", "waiting ended, the deployment did not");
    assert.equal((await p.api("POST", `/api/v1/deployments/${id}/rollback`, { reason: "test cleanup" })).status < 300, true);
  });

  test("in Pulumi's dynamic-provider host, a rolled-back rollout fails the update with the reason and its progress reaches the output", async () => {
    const host = await ProviderHost.start();
    try {
      const aliasText = await serializeProvider(aliasProvider);
      const { fn } = await liveOnVersion1("hosted-bad", { ...CANARY, duration: "1 minute" });
      await functionProvider.update!("hosted-bad", fn, await functionInputs(p, "hosted-bad", join(FIXTURES, "node-throws")));
      const urn = "urn:pulumi:test::hello::pulumi-nodejs:dynamic/hotswap:Alias::hosted-bad-live";
      const olds = { ...(await aliasInputs(p, "hosted-bad", "live", 1, { rollout: { ...CANARY, duration: "1 minute" } })), __provider: aliasText, arn: "x" };
      const news = await host.check(urn, olds, { ...olds, version: 2 });
      assert.deepEqual(news.failures, []);
      const load = startLoad(p, "hosted-bad");
      try {
        await assert.rejects(host.update(urn, "hosted-bad:live", olds, news.inputs), /the canary rollout to version 2 was rolled back: .*exceeds maxErrorRate 10\.0%.*The alias is back on version 1/s);
      } finally {
        await load.stop();
      }
      assert.equal((await liveAlias("hosted-bad")).version, 1);
      const output = host.output.join("\n");
      assert.match(output, /^info: \[runtime\] hotswap\.Alias "hosted-bad:live": canary rollout from version 1 to version 2 started/m);
      assert.match(output, /transition InProgress → RolledBack/);
    } finally {
      await host.stop();
    }
  });
});
