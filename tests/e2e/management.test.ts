/** End-to-end: functions, versions and aliases through the HTTP API, with every bad input. */
import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { forEachMode, it } from "../support/platform.ts";
import { zipFiles, zipFixture } from "../support/zip.ts";

// 260 MB of zeros, about 250 KB zipped. Built once before any request: compressing it blocks the
// event loop for seconds, long enough for the server to close an idle keep-alive socket unseen.
const BOMB = Buffer.from(
  zipSync({ "index.js": new TextEncoder().encode("exports.handler=async()=>1"), "zeros.bin": new Uint8Array(260 * 1024 * 1024) }, { level: 9 }),
);

const fn = (name: string, extra: Record<string, unknown> = {}) => ({ name, runtime: "nodejs20", handler: "index.handler", ...extra });

forEachMode("management API", (p) => {
  it("serves /health without auth, with every dependency ok", async () => {
    const res = await fetch(`${p().url}/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as any;
    assert.equal(body.status, "ok");
    assert.deepEqual(body.checks, { database: "ok", state: "ok", codeStore: "ok", runners: "ok" });
  });

  it("serves the OpenAPI document and Swagger UI without auth", async () => {
    const doc = (await (await fetch(`${p().url}/openapi.json`)).json()) as any;
    assert.ok(doc.paths["/api/v1/functions"]);
    assert.ok(doc.paths["/api/v1/functions/{name}/invoke"]);
    const ui = await fetch(`${p().url}/docs`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /swagger/i);
  });

  it("returns 401 Unauthorized without a key or with a wrong one", async () => {
    const none = await fetch(`${p().url}/api/v1/functions`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as any).error.code, "Unauthorized");
    const wrong = await fetch(`${p().url}/api/v1/functions`, { headers: { authorization: `Bearer hs_abcd1234_${"x".repeat(40)}` } });
    assert.equal(wrong.status, 401);
  });

  it("creates a function with defaults, lists, reads, updates and deletes it", async () => {
    const created = await p().api("POST", "/api/v1/functions", fn("crud", { environment: { A: "1" }, tags: { team: "x" } }));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.memorySize, 256);
    assert.equal(created.json.timeout, 30);
    assert.equal(created.json.protocol, "fast");
    assert.equal(created.json.instanceConcurrency, 1);
    const list = await p().api("GET", "/api/v1/functions");
    assert.ok(list.json.functions.some((f: { name: string }) => f.name === "crud"));
    const updated = await p().api("PUT", "/api/v1/functions/crud", { memorySize: 512, description: "d" });
    assert.equal(updated.status, 200);
    assert.equal(updated.json.memorySize, 512);
    assert.deepEqual(updated.json.environment, { A: "1" });
    assert.equal((await p().api("DELETE", "/api/v1/functions/crud")).status, 204);
    const gone = await p().api("GET", "/api/v1/functions/crud");
    assert.equal(gone.status, 404);
    assert.equal(gone.json.error.code, "FunctionNotFound");
  });

  it("refuses a duplicate name with 409 FunctionAlreadyExists", async () => {
    assert.equal((await p().api("POST", "/api/v1/functions", fn("dup"))).status, 201);
    const again = await p().api("POST", "/api/v1/functions", fn("dup"));
    assert.equal(again.status, 409);
    assert.equal(again.json.error.code, "FunctionAlreadyExists");
  });

  it("refuses an unknown runtime with 400 listing the valid ones", async () => {
    const res = await p().api("POST", "/api/v1/functions", fn("badrt", { runtime: "cobol85" }));
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, "UnknownRuntime");
    for (const id of ["nodejs20", "nodejs22", "python3.11", "python3.12", "provided"]) assert.match(res.json.error.message, new RegExp(id.replace(".", "\\.")));
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
    await p().api("POST", "/api/v1/functions", fn("ver"));
    const zip = zipFixture("node-cjs");
    const v1 = await p().api("POST", "/api/v1/functions/ver/versions", zip, { "content-type": "application/zip" });
    assert.equal(v1.status, 201, v1.text);
    assert.equal(v1.json.version, 1);
    assert.match(v1.json.codeSha256, /^[a-f0-9]{64}$/);
    assert.equal(v1.json.codeSize, zip.length);
    const v2 = await p().api("POST", "/api/v1/functions/ver/versions", { code: zip.toString("base64"), description: "second" });
    assert.equal(v2.status, 201, v2.text);
    assert.equal(v2.json.version, 2);
    assert.equal(v2.json.codeSha256, v1.json.codeSha256);
    await p().api("PUT", "/api/v1/functions/ver", { memorySize: 1024 });
    const v3 = await p().api("POST", "/api/v1/functions/ver/versions", zip, { "content-type": "application/zip" });
    assert.equal(v3.json.version, 3);
    const list = await p().api("GET", "/api/v1/functions/ver/versions");
    assert.deepEqual(list.json.versions.map((v: { version: number }) => v.version), [1, 2, 3]);
    const one = await p().api("GET", "/api/v1/functions/ver/versions/1");
    assert.equal(one.json.memorySize, 256, "a version snapshots the configuration it was published with");
    assert.equal((await p().api("GET", "/api/v1/functions/ver/versions/3")).json.memorySize, 1024);
    assert.equal((await p().api("GET", "/api/v1/functions/ver/versions/9")).json.error.code, "VersionNotFound");
  });

  it("rejects bad zips with precise codes", async () => {
    await p().api("POST", "/api/v1/functions", fn("zips"));
    const post = (body: Buffer) => p().api("POST", "/api/v1/functions/zips/versions", body, { "content-type": "application/zip" });
    const corrupt = await post(Buffer.from("this is not a zip at all"));
    assert.equal(corrupt.status, 400);
    assert.equal(corrupt.json.error.code, "InvalidZip");
    const slip = await post(zipFiles({ "index.js": "exports.handler=async()=>1", "../evil.js": "x" }));
    assert.equal(slip.status, 400);
    assert.equal(slip.json.error.code, "UnsafeZipEntry");
    assert.match(slip.json.error.message, /evil\.js/);
    const abs = await post(zipFiles({ "index.js": "exports.handler=async()=>1", "/etc/cron.d/x": "x" }));
    assert.equal(abs.json.error.code, "UnsafeZipEntry");
    const link = Buffer.from(zipSync({ "index.js": new TextEncoder().encode("x"), "up": [new TextEncoder().encode("../../etc/passwd"), { os: 3, attrs: (0o120777 << 16) >>> 0 }] }));
    assert.equal((await post(link)).json.error.code, "UnsafeZipEntry");
    const noHandler = await post(zipFiles({ "main.js": "exports.handler=async()=>1" }));
    assert.equal(noHandler.status, 400);
    assert.equal(noHandler.json.error.code, "InvalidHandler");
    assert.match(noHandler.json.error.message, /index\.js/);
    const big = await post(BOMB);
    assert.equal(big.status, 400);
    assert.equal(big.json.error.code, "CodeTooLarge");
    const huge = await post(Buffer.alloc(51 * 1024 * 1024, 7));
    assert.equal(huge.status, 400);
    assert.equal(huge.json.error.code, "CodeTooLarge");
    const wrongType = await p().api("POST", "/api/v1/functions/zips/versions", "hello", { "content-type": "text/plain" });
    assert.equal(wrongType.status, 415);
    assert.equal((await p().api("GET", "/api/v1/functions/zips/versions")).json.versions.length, 0, "nothing was published");
  });

  it("manages aliases with weighted routing and validates the weights", async () => {
    await p().api("POST", "/api/v1/functions", fn("al"));
    const zip = zipFixture("node-cjs");
    for (let i = 0; i < 3; i++) await p().api("POST", "/api/v1/functions/al/versions", zip, { "content-type": "application/zip" });
    const created = await p().api("PUT", "/api/v1/functions/al/aliases/live", { version: 1, routingConfig: { additionalVersionWeights: { "2": 0.1, "3": 0.2 } } });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json.routingConfig.additionalVersionWeights, { "2": 0.1, "3": 0.2 });
    const updated = await p().api("PUT", "/api/v1/functions/al/aliases/live", { version: 2 });
    assert.equal(updated.status, 200);
    assert.equal(updated.json.version, 2);
    const bad = async (body: unknown, code: string) => {
      const r = await p().api("PUT", "/api/v1/functions/al/aliases/live", body);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, code);
    };
    await bad({ version: 1, routingConfig: { additionalVersionWeights: { "2": 0.7, "3": 0.6 } } }, "InvalidRoutingConfig");
    await bad({ version: 1, routingConfig: { additionalVersionWeights: { "9": 0.1 } } }, "InvalidRoutingConfig");
    await bad({ version: 1, routingConfig: { additionalVersionWeights: { "2": 1.5 } } }, "ValidationError");
    await bad({ version: 7 }, "VersionNotFound");
    assert.equal((await p().api("GET", "/api/v1/functions/al/aliases/live")).json.version, 2);
    assert.equal((await p().api("GET", "/api/v1/functions/al/aliases")).json.aliases.length, 1);
    assert.equal((await p().api("DELETE", "/api/v1/functions/al/aliases/live")).status, 204);
    assert.equal((await p().api("GET", "/api/v1/functions/al/aliases/live")).json.error.code, "AliasNotFound");
  });

  it("lists runtimes with their availability on the process backend", async () => {
    const res = await p().api("GET", "/api/v1/runtimes");
    assert.equal(res.status, 200);
    assert.equal(res.json.backend, "process");
    const ids = res.json.runtimes.map((r: { id: string }) => r.id);
    assert.deepEqual(ids.sort(), ["nodejs20", "nodejs22", "provided", "python3.11", "python3.12"]);
    const node20 = res.json.runtimes.find((r: { id: string }) => r.id === "nodejs20");
    assert.equal(node20.available, true);
    assert.ok(node20.using, "says which interpreter it would use");
    for (const r of res.json.runtimes) if (!r.available) assert.ok(r.reason, `${r.id} says why it is unavailable`);
  });
});
