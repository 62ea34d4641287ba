/**
 * End-to-end: functions, versions and aliases through the HTTP API, with every bad input. Well-formed
 * requests go through the typed client (which also checks each answer against the API's schema);
 * malformed ones (bad JSON, unknown fields, wrong content types) are sent raw.
 */
import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { createApiClient, type ApiResult } from "../../client/index.ts";
import { forEachMode, it } from "../support/platform.ts";
import { apiOf, expectOk } from "../support/deploy.ts";
import { zipFiles, zipFixture } from "../support/zip.ts";

// 260 MB of zeros, about 250 KB zipped. Built once before any request: compressing it blocks the
// event loop for seconds, long enough for the server to close an idle keep-alive socket unseen.
const BOMB = Buffer.from(
  zipSync({ "index.js": new TextEncoder().encode("exports.handler=async()=>1"), "zeros.bin": new Uint8Array(260 * 1024 * 1024) }, { level: 9 }),
);

const fn = (name: string, extra: Record<string, unknown> = {}) => ({ name, runtime: "nodejs20", handler: "index.handler", ...extra });

/** The failure of a call that had to fail. */
function failed<T>(r: ApiResult<T>) {
  if (r.ok) assert.fail(`expected an error, got HTTP ${r.status}: ${JSON.stringify(r.value)}`);
  return r.error;
}

forEachMode("management API", (p) => {
  it("serves /health without auth, with every dependency ok", async () => {
    const anonymous = createApiClient({ baseUrl: p().url });
    const body = expectOk(await anonymous.system.health(), "GET /health", 200);
    assert.equal(body.status, "ok");
    assert.deepEqual(body.checks, { database: "ok", state: "ok", codeStore: "ok", runners: "ok" });
  });

  it("serves the OpenAPI document and Swagger UI without auth", async () => {
    const doc = expectOk(await createApiClient({ baseUrl: p().url }).system.openapi(), "GET /openapi.json") as any;
    assert.ok(doc.paths["/api/v1/functions"]);
    assert.ok(doc.paths["/api/v1/functions/{name}/invoke"]);
    const ui = await fetch(`${p().url}/docs`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger/i);
  });

  it("returns 401 Unauthorized without a key or with a wrong one", async () => {
    const none = failed(await createApiClient({ baseUrl: p().url }).functions.list());
    assert.equal(none.status, 401);
    assert.equal(none.code, "Unauthorized");
    const wrong = failed(await createApiClient({ baseUrl: p().url, apiKey: `hs_abcd1234_${"x".repeat(40)}` }).functions.list());
    assert.equal(wrong.status, 401);
  });

  it("creates a function with defaults, lists, reads, updates and deletes it", async () => {
    const api = apiOf(p());
    const created = expectOk(await api.functions.create({ name: "crud", runtime: "nodejs20", handler: "index.handler", environment: { A: "1" }, tags: { team: "x" } }), "create", 201);
    assert.equal(created.memorySize, 256);
    assert.equal(created.timeout, 30);
    assert.equal(created.protocol, "fast");
    assert.equal(created.instanceConcurrency, 1);
    const list = expectOk(await api.functions.list(), "list");
    assert.ok(list.functions.some((f) => f.name === "crud"));
    const updated = expectOk(await api.functions.update("crud", { memorySize: 512, description: "d" }), "update", 200);
    assert.equal(updated.memorySize, 512);
    assert.deepEqual(updated.environment, { A: "1" });
    expectOk(await api.functions.delete("crud"), "delete", 204);
    const gone = failed(await api.functions.get("crud"));
    assert.equal(gone.status, 404);
    assert.equal(gone.code, "FunctionNotFound");
  });

  it("refuses a duplicate name with 409 FunctionAlreadyExists", async () => {
    const api = apiOf(p());
    expectOk(await api.functions.create({ name: "dup", runtime: "nodejs20", handler: "index.handler" }), "create", 201);
    const again = failed(await api.functions.create({ name: "dup", runtime: "nodejs20", handler: "index.handler" }));
    assert.equal(again.status, 409);
    assert.equal(again.code, "FunctionAlreadyExists");
  });

  it("refuses an unknown runtime with 400 listing the valid ones", async () => {
    const res = failed(await apiOf(p()).functions.create({ name: "badrt", runtime: "cobol85", handler: "index.handler" }));
    assert.equal(res.status, 400);
    assert.equal(res.code, "UnknownRuntime");
    for (const id of ["nodejs20", "nodejs22", "python3.11", "python3.12", "java17", "ruby3.1", "provided"]) assert.match(res.message, new RegExp(id.replace(".", "\\.")));
  });

  it("names the invalid field, and rejects malformed JSON and unknown fields", async () => {
    const bad = await p().api("POST", "/api/v1/functions", fn("bad name!", { memorySize: 5 }));
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, "ValidationError");
    assert.match(bad.json.error.message, /"name"/);
    assert.match(bad.json.error.message, /"memorySize"/);
    const malformed = await p().api("POST", "/api/v1/functions", '{"name": ', { "content-type": "application/json" });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.error.code, "InvalidRequestContent");
    const extra = await p().api("POST", "/api/v1/functions", fn("extra", { memory: 5 }));
    assert.equal(extra.status, 400);
    assert.match(extra.json.error.message, /memory/);
    const reserved = await p().api("POST", "/api/v1/functions", fn("resv", { environment: { AWS_LAMBDA_FUNCTION_NAME: "x" } }));
    assert.equal(reserved.status, 400);
    assert.match(reserved.json.error.message, /reserved/);
  });

  it("publishes immutable versions 1, 2, 3 from raw zip and base64 JSON", async () => {
    const api = apiOf(p());
    expectOk(await api.functions.create({ name: "ver", runtime: "nodejs20", handler: "index.handler" }), "create", 201);
    const zip = zipFixture("node-cjs");
    const v1 = expectOk(await api.versions.publish("ver", zip), "publish v1", 201);
    assert.equal(v1.version, 1);
    assert.match(v1.codeSha256, /^[a-f0-9]{64}$/);
    assert.equal(v1.codeSize, zip.length);
    // The JSON form of the upload (base64 code), sent as a client of that form would.
    const v2 = await p().api("POST", "/api/v1/functions/ver/versions", { code: zip.toString("base64"), description: "second" });
    assert.equal(v2.status, 201, v2.text);
    assert.equal(v2.json.version, 2);
    assert.equal(v2.json.codeSha256, v1.codeSha256);
    expectOk(await api.functions.update("ver", { memorySize: 1024 }), "update");
    const v3 = expectOk(await api.versions.publish("ver", zip), "publish v3");
    assert.equal(v3.version, 3);
    const list = expectOk(await api.versions.list("ver"), "list");
    assert.deepEqual(list.versions.map((v) => v.version), [1, 2, 3]);
    const one = expectOk(await api.versions.get("ver", 1), "get v1");
    assert.equal(one.memorySize, 256, "a version snapshots the configuration it was published with");
    assert.equal(expectOk(await api.versions.get("ver", 3), "get v3").memorySize, 1024);
    assert.equal(failed(await api.versions.get("ver", 9)).code, "VersionNotFound");
  });

  it("rejects bad zips with precise codes", async () => {
    const api = apiOf(p());
    expectOk(await api.functions.create({ name: "zips", runtime: "nodejs20", handler: "index.handler" }), "create", 201);
    const post = async (body: Buffer) => failed(await api.versions.publish("zips", body));
    const corrupt = await post(Buffer.from("this is not a zip at all"));
    assert.equal(corrupt.status, 400);
    assert.equal(corrupt.code, "InvalidZip");
    const slip = await post(zipFiles({ "index.js": "exports.handler=async()=>1", "../evil.js": "x" }));
    assert.equal(slip.status, 400);
    assert.equal(slip.code, "UnsafeZipEntry");
    assert.match(slip.message, /evil\.js/);
    const abs = await post(zipFiles({ "index.js": "exports.handler=async()=>1", "/etc/cron.d/x": "x" }));
    assert.equal(abs.code, "UnsafeZipEntry");
    const link = Buffer.from(zipSync({ "index.js": new TextEncoder().encode("x"), "up": [new TextEncoder().encode("../../etc/passwd"), { os: 3, attrs: (0o120777 << 16) >>> 0 }] }));
    assert.equal((await post(link)).code, "UnsafeZipEntry");
    const noHandler = await post(zipFiles({ "main.js": "exports.handler=async()=>1" }));
    assert.equal(noHandler.status, 400);
    assert.equal(noHandler.code, "InvalidHandler");
    assert.match(noHandler.message, /index\.js/);
    const big = await post(BOMB);
    assert.equal(big.status, 400);
    assert.equal(big.code, "CodeTooLarge");
    const huge = await post(Buffer.alloc(51 * 1024 * 1024, 7));
    assert.equal(huge.status, 400);
    assert.equal(huge.code, "CodeTooLarge");
    const wrongType = await p().api("POST", "/api/v1/functions/zips/versions", "hello", { "content-type": "text/plain" });
    assert.equal(wrongType.status, 415);
    assert.equal(expectOk(await api.versions.list("zips"), "list").versions.length, 0, "nothing was published");
  });

  it("manages aliases with weighted routing and validates the weights", async () => {
    const api = apiOf(p());
    expectOk(await api.functions.create({ name: "al", runtime: "nodejs20", handler: "index.handler" }), "create", 201);
    const zip = zipFixture("node-cjs");
    for (let i = 0; i < 3; i++) expectOk(await api.versions.publish("al", zip), `publish ${i + 1}`);
    const created = expectOk(await api.aliases.put("al", "live", { version: 1, routingConfig: { additionalVersionWeights: { "2": 0.1, "3": 0.2 } } }), "create alias", 201);
    assert.deepEqual(created.routingConfig.additionalVersionWeights, { "2": 0.1, "3": 0.2 });
    const updated = expectOk(await api.aliases.put("al", "live", { version: 2 }), "update alias", 200);
    assert.equal(updated.version, 2);
    const bad = async (body: { version: number; routingConfig?: { additionalVersionWeights: Record<string, number> } }, code: string) => {
      const r = failed(await api.aliases.put("al", "live", body));
      assert.equal(r.status, 400, r.message);
      assert.equal(r.code, code);
    };
    await bad({ version: 1, routingConfig: { additionalVersionWeights: { "2": 0.7, "3": 0.6 } } }, "InvalidRoutingConfig");
    await bad({ version: 1, routingConfig: { additionalVersionWeights: { "9": 0.1 } } }, "InvalidRoutingConfig");
    await bad({ version: 1, routingConfig: { additionalVersionWeights: { "2": 1.5 } } }, "ValidationError");
    await bad({ version: 7 }, "VersionNotFound");
    assert.equal(expectOk(await api.aliases.get("al", "live"), "get alias").version, 2);
    assert.equal(expectOk(await api.aliases.list("al"), "list aliases").aliases.length, 1);
    expectOk(await api.aliases.delete("al", "live"), "delete alias", 204);
    assert.equal(failed(await api.aliases.get("al", "live")).code, "AliasNotFound");
  });

  it("lists runtimes with their availability on the process backend", async () => {
    const res = expectOk(await apiOf(p()).system.runtimes(), "list runtimes", 200);
    assert.equal(res.backend, "process");
    const ids = res.runtimes.map((r) => r.id);
    assert.deepEqual(ids.sort(), ["java17", "nodejs20", "nodejs22", "provided", "python3.11", "python3.12", "ruby3.1"]);
    const node20 = res.runtimes.find((r) => r.id === "nodejs20")!;
    assert.equal(node20.available, true);
    assert.ok(node20.using, "says which interpreter it would use");
    for (const r of res.runtimes) if (!r.available) assert.ok(r.reason, `${r.id} says why it is unavailable`);
  });
});
