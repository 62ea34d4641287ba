/**
 * The Alias provider's methods without a rollout (direct alias updates), called directly against a
 * real embedded control plane: create, no-op diff, version and weight changes, drift through read,
 * and a delete that removes the alias and nothing else.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { functionProvider } from "../../infra/sdk/function-provider.ts";
import { aliasProvider as provider } from "../../infra/sdk/alias-provider.ts";
import type { AliasOutputs } from "../../infra/sdk/alias-inputs.ts";
import { aliasInputs, captureLogs, codeDir, functionInputs, nodeHandler, removeCodeDirs } from "./support/sdk.ts";

describe("hotswap.Alias provider (direct updates) against an embedded control plane", () => {
  let p: TestPlatform;

  /** Creates a function with `versions` versions (markers v1, v2, …) through the Function provider. */
  async function functionWithVersions(name: string, versions: number) {
    let { outs } = await functionProvider.create(await functionInputs(p, name, await codeDir(nodeHandler("v1"))));
    for (let v = 2; v <= versions; v++) {
      ({ outs } = await functionProvider.update!(name, outs, await functionInputs(p, name, await codeDir(nodeHandler(`v${v}`)))));
    }
    assert.equal(outs.latestVersion, versions);
  }

  before(async () => {
    p = await startPlatform("embedded");
    await functionWithVersions("aliased", 3);
  });
  after(async () => {
    await p?.close();
    await removeCodeDirs();
  });

  const liveAlias = async (fn: string, alias: string) => (await p.api("GET", `/api/v1/functions/${fn}/aliases/${alias}`)).json;

  test("create points the alias at the version, and an unchanged stack diffs as no change", async () => {
    const inputs = await aliasInputs(p, "aliased", "stable", 1);
    const { id, outs } = await provider.create(inputs);
    assert.equal(id, "aliased:stable");
    assert.equal(outs.arn, "arn:aws:lambda:us-east-1:000000000000:function:aliased:stable");
    assert.equal((await liveAlias("aliased", "stable")).version, 1);
    const invoked = await p.api("POST", "/api/v1/functions/aliased/invoke?qualifier=stable", {});
    assert.equal(invoked.json.marker, "v1");
    assert.deepEqual(await provider.diff!(id, outs, await aliasInputs(p, "aliased", "stable", 1)), { changes: false, replaces: [], deleteBeforeReplace: false });
  });

  test("without a rollout, a new version and weights are set directly", async () => {
    const { outs } = await provider.create(await aliasInputs(p, "aliased", "direct", 1));
    const next = await aliasInputs(p, "aliased", "direct", 3, { weights: { 2: 0.25 } });
    const logged = await captureLogs(() => provider.update!("aliased:direct", outs, next));
    assert.ifError(logged.error);
    assert.ok(logged.lines.some((l) => /"aliased:direct": moved from version 1 to 3 directly/.test(l)), logged.lines.join("\n"));
    const live = await liveAlias("aliased", "direct");
    assert.equal(live.version, 3);
    assert.deepEqual(live.routingConfig.additionalVersionWeights, { "2": 0.25 });
  });

  test("the platform's refusal of a version that does not exist comes back with its message", async () => {
    const { outs } = await provider.create(await aliasInputs(p, "aliased", "refused", 1));
    await assert.rejects(
      provider.update!("aliased:refused", outs, await aliasInputs(p, "aliased", "refused", 9)),
      /hotswap\.Alias "aliased:refused": setting version 9 failed \(VersionNotFound, HTTP 400\): Function "aliased" has no version 9/,
    );
    assert.equal((await liveAlias("aliased", "refused")).version, 1);
  });

  test("read detects an alias moved outside the stack, and the next update moves it back", async () => {
    const inputs = await aliasInputs(p, "aliased", "drifted", 2);
    const { outs } = await provider.create(inputs);
    assert.equal((await p.api("PUT", "/api/v1/functions/aliased/aliases/drifted", { version: 1, routingConfig: { additionalVersionWeights: { "3": 0.5 } } })).status, 200);
    const read = await provider.read!("aliased:drifted", outs);
    assert.equal(read.id, "aliased:drifted");
    assert.equal(read.props.version, 1);
    assert.deepEqual(read.props.weights, { "3": 0.5 });
    assert.deepEqual(await provider.diff!("aliased:drifted", read.props, inputs), { changes: true, replaces: [], deleteBeforeReplace: false });
    await provider.update!("aliased:drifted", read.props as AliasOutputs, inputs);
    const live = await liveAlias("aliased", "drifted");
    assert.equal(live.version, 2);
    assert.deepEqual(live.routingConfig.additionalVersionWeights, {});
  });

  test("read of an alias deleted outside the stack reports it gone, and an update says to refresh", async () => {
    const inputs = await aliasInputs(p, "aliased", "deleted-by-hand", 1);
    const { outs } = await provider.create(inputs);
    assert.equal((await p.api("DELETE", "/api/v1/functions/aliased/aliases/deleted-by-hand")).status, 204);
    assert.deepEqual(await provider.read!("aliased:deleted-by-hand", outs), { id: "", props: {} });
    await assert.rejects(provider.update!("aliased:deleted-by-hand", outs, { ...inputs, version: 2 }), /"aliased:deleted-by-hand" no longer exists on .*Run `pulumi refresh`/);
  });

  test("a new alias with a rollout starts directly on its version, and says why", async () => {
    const inputs = await aliasInputs(p, "aliased", "first", 2, { rollout: { strategy: "canary", percentage: 10, duration: "1 minute" } });
    const logged = await captureLogs(() => provider.create(inputs));
    assert.ifError(logged.error);
    assert.equal((await liveAlias("aliased", "first")).version, 2);
    assert.ok(logged.lines.some((l) => /created on version 2 directly; rollouts start from the next version/.test(l)), logged.lines.join("\n"));
  });

  test("create refuses to adopt an alias the stack did not create", async () => {
    assert.equal((await p.api("PUT", "/api/v1/functions/aliased/aliases/handmade", { version: 1 })).status, 201);
    await assert.rejects(provider.create(await aliasInputs(p, "aliased", "handmade", 3)), /"aliased:handmade" already exists on .* \(on version 1\), and this stack did not create it/);
    assert.equal((await liveAlias("aliased", "handmade")).version, 1);
  });

  test("delete removes the alias and nothing else, and succeeds when it or its function is gone", async () => {
    const { outs } = await provider.create(await aliasInputs(p, "aliased", "doomed", 1));
    await provider.delete!("aliased:doomed", outs);
    assert.equal((await p.api("GET", "/api/v1/functions/aliased/aliases/doomed")).status, 404);
    assert.equal((await p.api("GET", "/api/v1/functions/aliased")).json.latestVersion, 3);
    assert.equal((await liveAlias("aliased", "stable")).version, 1);
    await provider.delete!("aliased:doomed", outs);
    await provider.delete!("missing:doomed", { ...outs, functionName: "missing" });
  });
});
