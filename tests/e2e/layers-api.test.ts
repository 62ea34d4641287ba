/**
 * End-to-end: the layers API and a function's `layers` setting, on the embedded adapters and on
 * Postgres, Redis and S3: publish (raw zip and JSON), list, read, delete; every refusal with its
 * code (LayerNotFound, LayerVersionNotFound, TooManyLayers, LayersTooLarge,
 * IncompatibleLayerRuntime, InvalidZip, UnknownRuntime); Lambda's rule for deleted versions; the
 * snapshot each function version takes; and who may publish.
 */
import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { createApiClient, type ApiResult } from "../../client/index.ts";
import { forEachMode, it } from "../support/platform.ts";
import { apiOf, expectOk } from "../support/deploy.ts";
import { zipFiles } from "../support/zip.ts";

const MB = 1024 * 1024;
// 130 MB of zeros each, a few hundred KB zipped: two of them (or one plus the code) pass 250 MB.
// Built once, before any request (compressing blocks the event loop).
const ZEROS = new Uint8Array(130 * MB);
const BIG_LAYER = Buffer.from(zipSync({ "nodejs/node_modules/zeros/blob.bin": ZEROS }, { level: 1 }));
const BIG_CODE = Buffer.from(zipSync({ "index.js": new TextEncoder().encode("exports.handler=async()=>1"), "blob.bin": ZEROS }, { level: 1 }));
const CODE = zipFiles({ "index.js": "exports.handler = async () => 1;" });
const LAYER = zipFiles({ "nodejs/node_modules/greet/index.js": "module.exports = () => 'hi';" });

function failed<T>(r: ApiResult<T>) {
  if (r.ok) assert.fail(`expected an error, got HTTP ${r.status}: ${JSON.stringify(r.value)}`);
  return r.error;
}

function assertError<T>(r: ApiResult<T>, status: number, code: string, message?: RegExp) {
  const e = failed(r);
  assert.equal(e.status, status, `${e.code}: ${e.message}`);
  assert.equal(e.code, code, e.message);
  if (message) assert.match(e.message, message);
}

forEachMode("layers API", (p) => {
  it("publishes numbered, immutable layer versions from a raw zip or JSON, and lists and reads them", async () => {
    const api = apiOf(p());
    const v1 = expectOk(await api.layers.publish("deps", LAYER, { compatibleRuntimes: ["Node20", "python3.12"], description: "first" }), "publish", 201);
    assert.equal(v1.layerName, "deps");
    assert.equal(v1.version, 1);
    assert.match(v1.codeSha256, /^[a-f0-9]{64}$/);
    assert.equal(v1.codeSize, LAYER.length);
    assert.equal(v1.unzippedSize, Buffer.byteLength("module.exports = () => 'hi';"));
    assert.deepEqual(v1.compatibleRuntimes, ["nodejs20", "python3.12"], "runtime aliases are stored as the platform's ids");
    assert.equal(v1.description, "first");
    const sent = await p().api("POST", "/api/v1/layers/deps/versions", { code: LAYER.toString("base64"), description: "second" });
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.json.version, 2);
    assert.deepEqual(sent.json.compatibleRuntimes, [], "no compatibleRuntimes: any runtime");
    assert.equal(sent.json.codeSha256, v1.codeSha256, "the same zip, the same content address");
    assert.deepEqual(expectOk(await api.layers.get("deps", 1), "get"), v1);
    assert.deepEqual(
      expectOk(await api.layers.versions("deps"), "versions").layerVersions.map((v) => v.version),
      [2, 1],
    );
    const listed = expectOk(await api.layers.list(), "list").layers.find((l) => l.layerName === "deps");
    assert.equal(listed?.latestVersion.version, 2);
  });

  it("refuses bad uploads with InvalidZip, UnsafeZipEntry, UnknownRuntime and UnsupportedMediaType", async () => {
    const api = apiOf(p());
    assertError(await api.layers.publish("bad", Buffer.from("not a zip")), 400, "InvalidZip");
    assertError(await api.layers.publish("bad", Buffer.alloc(0)), 400, "InvalidZip", /empty/);
    assertError(await api.layers.publish("bad", zipFiles({ "hotswap/bootstrap.mjs": "x" })), 400, "InvalidZip", /\/opt\/hotswap/);
    assertError(await api.layers.publish("bad", zipFiles({ "../escape.txt": "x" })), 400, "UnsafeZipEntry");
    assertError(await api.layers.publish("bad", LAYER, { compatibleRuntimes: ["cobol85"] }), 400, "UnknownRuntime", /Valid runtimes/);
    const text = await p().api("POST", "/api/v1/layers/bad/versions", "hello", { "content-type": "text/plain" });
    assert.equal(text.status, 415);
    assert.equal(text.json.error.code, "UnsupportedMediaType");
    const badName = await p().api("POST", "/api/v1/layers/bad%20name/versions", LAYER, { "content-type": "application/zip" });
    assert.equal(badName.status, 400);
    assert.equal(badName.json.error.code, "ValidationError");
    assertError(await api.layers.versions("bad"), 404, "LayerNotFound", /GET \/api\/v1\/layers/);
    assertError(await api.layers.get("bad", 1), 404, "LayerNotFound");
  });

  it("checks a function's layers: LayerNotFound, LayerVersionNotFound, TooManyLayers, duplicates, IncompatibleLayerRuntime, bad references", async () => {
    const api = apiOf(p());
    expectOk(await api.layers.publish("node-only", LAYER, { compatibleRuntimes: ["nodejs20"] }), "publish", 201);
    const fn = (name: string, layers: string[], runtime = "nodejs20") => api.functions.create({ name, runtime, handler: "index.handler", layers });
    assertError(await fn("l1", ["no-such-layer:1"]), 404, "LayerNotFound", /no-such-layer/);
    assertError(await fn("l1", ["node-only:7"]), 404, "LayerVersionNotFound", /node-only.*7/);
    assertError(await fn("l1", ["node-only:1", "node-only:1"]), 400, "ValidationError", /twice/);
    assertError(await fn("l1", ["node-only:1"], "python3.12"), 400, "IncompatibleLayerRuntime", /nodejs20, not python3\.12/);
    const six = [];
    for (let i = 0; i < 6; i++) {
      expectOk(await api.layers.publish(`many-${i}`, LAYER), "publish", 201);
      six.push(`many-${i}:1`);
    }
    assertError(await fn("l1", six), 400, "TooManyLayers", /at most 5/);
    assertError(await fn("l1", ["node-only"]), 400, "ValidationError", /name.*version/);
    const created = expectOk(await fn("l1", six.slice(0, 4).concat("arn:aws:lambda:us-east-1:123456789012:layer:node-only:1")), "create", 201);
    assert.deepEqual(created.layers, ["many-0:1", "many-1:1", "many-2:1", "many-3:1", "node-only:1"], "ARNs are kept as name:N");
    // Changing the runtime re-checks the layers the function keeps.
    assertError(await api.functions.update("l1", { runtime: "python3.12" }), 400, "IncompatibleLayerRuntime");
    assertError(await api.functions.update("l1", { layers: [...six.slice(0, 5), "node-only:1"] }), 400, "TooManyLayers");
    expectOk(await api.functions.update("l1", { layers: [] }), "update", 200);
    expectOk(await api.functions.update("l1", { runtime: "python3.12" }), "update", 200);
  });

  it("refuses layers that with the code pass 250 MB unzipped: at configuration, and at publish with the code", async () => {
    const api = apiOf(p());
    expectOk(await api.layers.publish("big-a", BIG_LAYER), "publish", 201);
    expectOk(await api.layers.publish("big-b", BIG_LAYER), "publish", 201);
    assertError(await api.functions.create({ name: "big1", runtime: "nodejs20", handler: "index.handler", layers: ["big-a:1", "big-b:1"] }), 400, "LayersTooLarge", /250 MB/);
    expectOk(await api.functions.create({ name: "big1", runtime: "nodejs20", handler: "index.handler", layers: ["big-a:1"] }), "create", 201);
    expectOk(await api.versions.publish("big1", CODE), "small code fits", 201);
    assertError(await api.versions.publish("big1", BIG_CODE), 400, "LayersTooLarge", /function's code/);
  });

  it("snapshots the layers into each version; a deleted layer version keeps running for functions using it, as in Lambda", async () => {
    const api = apiOf(p());
    const l1 = expectOk(await api.layers.publish("snap", LAYER), "publish", 201);
    const l2 = expectOk(await api.layers.publish("snap", zipFiles({ "bin/tool": "#!/bin/sh\necho 2" })), "publish", 201);
    expectOk(await api.functions.create({ name: "snapfn", runtime: "nodejs20", handler: "index.handler", layers: ["snap:1"] }), "create", 201);
    expectOk(await api.versions.publish("snapfn", CODE), "publish v1", 201);
    expectOk(await api.functions.update("snapfn", { layers: ["snap:2"] }), "update", 200);
    expectOk(await api.versions.publish("snapfn", CODE), "publish v2", 201);
    assert.deepEqual(expectOk(await api.versions.get("snapfn", 1), "v1").layers, [{ name: "snap", version: 1, codeSha256: l1.codeSha256 }]);
    assert.deepEqual(expectOk(await api.versions.get("snapfn", 2), "v2").layers, [{ name: "snap", version: 2, codeSha256: l2.codeSha256 }]);

    expectOk(await api.layers.delete("snap", 2), "delete", 204);
    assertError(await api.layers.get("snap", 2), 404, "LayerVersionNotFound");
    assertError(await api.layers.delete("snap", 2), 404, "LayerVersionNotFound");
    // The function configured with it still publishes versions that run it...
    expectOk(await api.versions.publish("snapfn", CODE), "publish v3", 201);
    assert.deepEqual(expectOk(await api.versions.get("snapfn", 3), "v3").layers, [{ name: "snap", version: 2, codeSha256: l2.codeSha256 }]);
    // ...but no configuration may newly name it.
    assertError(await api.functions.create({ name: "snapfn2", runtime: "nodejs20", handler: "index.handler", layers: ["snap:2"] }), 404, "LayerVersionNotFound");
    expectOk(await api.layers.delete("snap", 1), "delete", 204);
    assertError(await api.layers.versions("snap"), 404, "LayerNotFound");
    assert.equal(expectOk(await api.layers.list(), "list").layers.find((l) => l.layerName === "snap"), undefined);
    // A new version gets a new number: deleted numbers are never given again.
    assert.equal(expectOk(await api.layers.publish("snap", LAYER), "publish", 201).version, 3);
  });

  it("lets a viewer read layers but not publish or delete them; a deployer may publish", async () => {
    const admin = apiOf(p());
    expectOk(await admin.layers.publish("perm", LAYER), "publish", 201);
    const viewerKey = expectOk(await admin.keys.create({ name: "layer-viewer", role: "viewer" }), "key", 201).key;
    const deployerKey = expectOk(await admin.keys.create({ name: "layer-deployer", role: "deployer" }), "key", 201).key;
    const viewer = createApiClient({ baseUrl: p().url, apiKey: viewerKey });
    const deployer = createApiClient({ baseUrl: p().url, apiKey: deployerKey });
    expectOk(await viewer.layers.list(), "viewer lists");
    expectOk(await viewer.layers.get("perm", 1), "viewer reads");
    assertError(await viewer.layers.publish("perm", LAYER), 403, "Forbidden", /layers:write/);
    assertError(await viewer.layers.delete("perm", 1), 403, "Forbidden", /layers:write/);
    assert.equal(expectOk(await deployer.layers.publish("perm", LAYER), "deployer publishes", 201).version, 2);
    assertError(await createApiClient({ baseUrl: p().url }).layers.list(), 401, "Unauthorized");
  });
});
