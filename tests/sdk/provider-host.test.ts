/**
 * The providers as Pulumi really runs them: serialized by Pulumi's closure serializer, loaded by
 * Pulumi's dynamic-provider host in a plain `node` process (no tsx, no HotSwap in its project), and
 * called over gRPC against a real embedded control plane. This is the path `pulumi up` takes.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { functionProvider } from "../../infra/sdk/function-provider.ts";
import { aliasProvider } from "../../infra/sdk/alias-provider.ts";
import { ProviderHost, serializeProvider } from "./support/provider-host.ts";
import { codeDir, nodeHandler, packageCode, removeCodeDirs } from "./support/sdk.ts";

const FN_URN = "urn:pulumi:test::hello::pulumi-nodejs:dynamic/hotswap:Function::hosted";
const ALIAS_URN = "urn:pulumi:test::hello::pulumi-nodejs:dynamic/hotswap:Alias::hosted-live";

describe("the providers in Pulumi's dynamic-provider host", () => {
  let p: TestPlatform;
  let host: ProviderHost;
  let fnText: string;
  let aliasText: string;

  before(async () => {
    p = await startPlatform("embedded");
    host = await ProviderHost.start();
    fnText = await serializeProvider(functionProvider);
    aliasText = await serializeProvider(aliasProvider);
  });
  after(async () => {
    await host?.stop();
    await p?.close();
    await removeCodeDirs();
  });

  const functionNews = async (marker: string, over: Record<string, unknown> = {}) => {
    const pkg = await packageCode(await codeDir(nodeHandler(marker)));
    return { __provider: fnText, endpoint: p.url, apiKey: p.key, resourceUrn: FN_URN, name: "hosted", runtime: "nodejs20", handler: "index.handler", codeSha256: pkg.sha256, codeSize: pkg.size, ...over };
  };

  test("a Function is checked, created, diffed, updated to version 2, read and deleted", async () => {
    const checked = await host.check(FN_URN, {}, await functionNews("v1"));
    assert.deepEqual(checked.failures, []);
    assert.equal(checked.inputs.memorySize, 256);
    const created = await host.create(FN_URN, checked.inputs);
    assert.equal(created.id, "hosted");
    assert.equal(created.outs.latestVersion, 1);
    assert.equal(typeof created.outs.__provider, "string");
    assert.equal((await p.api("POST", "/api/v1/functions/hosted/invoke", {})).json.marker, "v1");

    const again = await host.check(FN_URN, checked.inputs, await functionNews("v1"));
    assert.deepEqual(await host.diff(FN_URN, created.id, created.outs, again.inputs), { changes: "none", replaces: [] });

    const v2 = await host.check(FN_URN, checked.inputs, await functionNews("v2"));
    assert.deepEqual(await host.diff(FN_URN, created.id, created.outs, v2.inputs), { changes: "some", replaces: [] });
    const updated = await host.update(FN_URN, created.id, created.outs, v2.inputs);
    assert.equal(updated.outs.latestVersion, 2);
    assert.equal((await p.api("POST", "/api/v1/functions/hosted/invoke", {})).json.marker, "v2");
    // Progress reaches the host's output, which the Pulumi CLI shows.
    assert.ok(host.output.some((l) => l.includes('hotswap.Function "hosted": published version 2 (code changed).')), host.output.join("\n"));

    const renamed = await host.check(FN_URN, checked.inputs, await functionNews("v2", { name: "hosted-renamed" }));
    assert.deepEqual(await host.diff(FN_URN, created.id, updated.outs, renamed.inputs), { changes: "some", replaces: ["name"] });

    const read = await host.read(FN_URN, created.id, updated.outs);
    assert.equal(read.id, "hosted");
    assert.equal(read.props.latestVersion, 2);
    assert.equal(read.props.codeSha256, v2.inputs.codeSha256);
    // An alias over the function, directly set, then moved.
    const aliasNews = { __provider: aliasText, endpoint: p.url, apiKey: p.key, resourceUrn: ALIAS_URN, functionName: "hosted", name: "live", version: 1 };
    const aliasChecked = await host.check(ALIAS_URN, {}, aliasNews);
    assert.deepEqual(aliasChecked.failures, []);
    const alias = await host.create(ALIAS_URN, aliasChecked.inputs);
    assert.equal(alias.id, "hosted:live");
    const moved = await host.check(ALIAS_URN, aliasChecked.inputs, { ...aliasNews, version: 2 });
    await host.update(ALIAS_URN, alias.id, alias.outs, moved.inputs);
    assert.equal((await p.api("GET", "/api/v1/functions/hosted/aliases/live")).json.version, 2);
    await host.delete(ALIAS_URN, alias.id, { ...alias.outs, version: 2 });
    assert.equal((await p.api("GET", "/api/v1/functions/hosted/aliases/live")).status, 404);

    await host.delete(FN_URN, created.id, updated.outs);
    assert.equal((await p.api("GET", "/api/v1/functions/hosted")).status, 404);
  });

  test("invalid args come back as check failures, and a refused create as the platform's message", async () => {
    const bad = await host.check(FN_URN, {}, await functionNews("bad", { memory: "64 MB", runtime: "cobol" }));
    assert.deepEqual(
      bad.failures.map((f) => f.property),
      ["runtime", "memory"],
    );
    assert.match(bad.failures[1]!.reason, /^memory must be a size like "256 MB" or "1 GB", from 128 MB to 10240 MB \(got "64 MB"\)$/);
    const noHandler = await host.check(FN_URN, {}, await functionNews("x", { name: "hosted-broken", handler: "missing.handler" }));
    await assert.rejects(host.create(FN_URN, noHandler.inputs), /Publishing a version of function "hosted-broken" failed \(InvalidHandler, HTTP 400\).*The function was deleted again/s);
  });
});
