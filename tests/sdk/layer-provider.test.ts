/**
 * The Layer provider's methods called directly against a real embedded control plane: check's
 * refusals, create (a layer version), a function using its `ref` through the Function provider
 * (the module resolves at run time), a change diffed as a replace (new version first, then the old
 * one deleted while the function version published with it keeps running), drift through read,
 * delete.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { layerProvider as provider, type LayerInputs, type LayerOutputs } from "../../infra/sdk/layer-provider.ts";
import { functionProvider } from "../../infra/sdk/function-provider.ts";
import { FAKE_KEY, codeDir, functionInputs, packageCode, removeCodeDirs } from "./support/sdk.ts";
import { ProviderHost, serializeProvider } from "./support/provider-host.ts";

const LAYER_URN = "urn:pulumi:test::hello::pulumi-nodejs:dynamic/hotswap:Layer::hosted";

const greetLayer = (word: string) => ({ "nodejs/node_modules/greet/index.js": `module.exports = () => ${JSON.stringify(word)};\n` });
const HANDLER = { "index.js": "exports.handler = async () => require('greet')();\n" };

describe("hotswap.Layer provider against an embedded control plane", () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded");
  });
  after(async () => {
    await p?.close();
    await removeCodeDirs();
  });

  async function layerInputs(name: string, files: Record<string, string>, over: Record<string, unknown> = {}): Promise<LayerInputs> {
    const pkg = await packageCode(await codeDir(files));
    const r = await provider.check!({}, { endpoint: p.url, apiKey: p.key, layerName: name, codeSha256: pkg.sha256, codeSize: pkg.size, ...over });
    assert.deepEqual(r.failures, []);
    return r.inputs as LayerInputs;
  }
  const invoke = async (name: string, qualifier?: string) => {
    const res = await p.api("POST", `/api/v1/functions/${name}/invoke${qualifier ? `?qualifier=${qualifier}` : ""}`, {});
    assert.equal(res.status, 200, res.text);
    return res.json;
  };

  test("check fills defaults and refuses bad names, runtimes and descriptions; Function check refuses bad layer refs", async () => {
    const ok = await layerInputs("deps", greetLayer("x"));
    assert.deepEqual(ok.compatibleRuntimes, []);
    assert.equal(ok.description, "");
    const bad = await provider.check!({}, { endpoint: p.url, apiKey: FAKE_KEY, layerName: "bad name", compatibleRuntimes: ["cobol"], description: 5 });
    assert.deepEqual(bad.failures!.map((f) => f.property), ["name", "compatibleRuntimes", "description"]);
    const fn = await functionProvider.check!({}, { endpoint: p.url, apiKey: p.key, name: "f", runtime: "nodejs20", handler: "index.handler", codeSha256: "a".repeat(64), codeSize: 1, layers: ["deps", "a:1", "b:1", "c:1", "d:1", "e:1"] });
    assert.deepEqual(fn.failures!.map((f) => f.property), ["layers", "layers"]);
  });

  test("create publishes a layer version a function uses through its ref; a change replaces it and the old version's function version keeps running it", async () => {
    const v1in = await layerInputs("greet", greetLayer("one"), { compatibleRuntimes: ["nodejs20"], description: "first" });
    const { id, outs } = await provider.create(v1in);
    const v1 = outs as LayerOutputs;
    assert.equal(id, "greet:1");
    assert.equal(v1.ref, "greet:1");
    assert.equal(v1.version, 1);
    assert.ok(v1.unzippedSize > 0);
    assert.deepEqual((await p.api("GET", "/api/v1/layers/greet/versions/1")).json.compatibleRuntimes, ["nodejs20"]);

    const fnIn = await functionInputs(p, "uses-layer", await codeDir(HANDLER), { layers: [v1.ref] });
    await functionProvider.create(fnIn);
    assert.equal(await invoke("uses-layer"), "one");

    const unchanged = await provider.diff!(id, v1, await layerInputs("greet", greetLayer("one"), { compatibleRuntimes: ["nodejs20"], description: "first" }));
    assert.equal(unchanged.changes, false);
    const v2in = await layerInputs("greet", greetLayer("two"), { compatibleRuntimes: ["nodejs20"], description: "first" });
    const diff = await provider.diff!(id, v1, v2in);
    assert.equal(diff.changes, true);
    assert.deepEqual(diff.replaces, ["codeSha256"]);
    assert.equal(diff.deleteBeforeReplace, false, "the new version exists before functions move off the old one");

    // Pulumi's replace: create the new version, update the function, delete the old version.
    const v2 = (await provider.create(v2in)).outs as LayerOutputs;
    assert.equal(v2.ref, "greet:2");
    const fnDiff = await functionProvider.diff!("uses-layer", { ...fnIn, latestVersion: 1 }, { ...fnIn, layers: [v2.ref] });
    assert.equal(fnDiff.changes, true);
    await functionProvider.update!("uses-layer", { ...fnIn, arn: "", latestVersion: 1 } as never, { ...fnIn, layers: [v2.ref] });
    await provider.delete!(id, v1);
    assert.equal((await p.api("GET", "/api/v1/layers/greet/versions/1")).status, 404);
    assert.equal(await invoke("uses-layer"), "two");
    assert.equal(await invoke("uses-layer", "1"), "one", "a function version published with a deleted layer version keeps running it");

    // Refresh: the live version reads back; deleted outside the stack, it is gone.
    const read = await provider.read!(v2.ref, v2);
    assert.equal(read.id, v2.ref);
    assert.equal(read.props.codeSha256, v2.codeSha256);
    await p.api("DELETE", "/api/v1/layers/greet/versions/2");
    assert.deepEqual(await provider.read!(v2.ref, v2), { id: "", props: {} });
    await provider.delete!(v2.ref, v2); // already gone: fine
  });

  test("the platform's refusal comes back as the error", async () => {
    const bad = await layerInputs("reserved", { "hotswap/bootstrap.mjs": "x" });
    await assert.rejects(provider.create(bad), /InvalidZip.*\/opt\/hotswap|\/opt\/hotswap/);
  });

  test("runs in Pulumi's dynamic-provider host: check, create, diff, read, delete", async () => {
    const host = await ProviderHost.start();
    try {
      const pkg = await packageCode(await codeDir(greetLayer("hosted")));
      const news = { __provider: await serializeProvider(provider), endpoint: p.url, apiKey: p.key, resourceUrn: LAYER_URN, layerName: "hosted", codeSha256: pkg.sha256, codeSize: pkg.size };
      const checked = await host.check(LAYER_URN, {}, news);
      assert.deepEqual(checked.failures, []);
      const created = await host.create(LAYER_URN, checked.inputs);
      assert.equal(created.id, "hosted:1");
      assert.equal((await p.api("GET", "/api/v1/layers/hosted/versions/1")).json.codeSha256, pkg.sha256);
      const again = await host.check(LAYER_URN, checked.inputs, news);
      assert.deepEqual(await host.diff(LAYER_URN, created.id, created.outs, again.inputs), { changes: "none", replaces: [] });
      const read = await host.read(LAYER_URN, created.id, created.outs);
      assert.equal(read.id, created.id);
      await host.delete(LAYER_URN, created.id, created.outs);
      assert.equal((await p.api("GET", "/api/v1/layers/hosted/versions/1")).status, 404);
    } finally {
      await host.stop();
    }
  });
});
