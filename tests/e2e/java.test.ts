/**
 * End-to-end: java17 functions through the HTTP API on the embedded runner (process backend): a
 * zip built with javac and jar (tests/support/java-function.ts) is published and invoked as a
 * RequestHandler (POJO in and out), a RequestStreamHandler and a plain method, and its thrown
 * errors, init errors and timeouts come back as for Node. Also GET /api/v1/runtimes lists java17.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { deployFunction } from "../support/deploy.ts";
import { javaFunctionZip, javaMissing } from "../support/java-function.ts";
import { startPlatform, type TestPlatform } from "../support/platform.ts";

const missing = javaMissing();

describe("java17 end to end [embedded, process backend]", { skip: missing }, () => {
  let p: TestPlatform;
  let zip: Buffer;
  before(async () => {
    [p, zip] = await Promise.all([startPlatform("embedded"), javaFunctionZip()]);
  });
  after(async () => {
    await p?.close();
  });

  const deploy = (name: string, handler: string, extra: Record<string, unknown> = {}) =>
    deployFunction(p, { name, runtime: "java17", handler, code: new Uint8Array(zip), environment: { FOO: "bar" }, ...extra });
  const invoke = (name: string, event: unknown) =>
    p.api("POST", `/api/v1/functions/${name}/invoke`, JSON.stringify(event), { "content-type": "application/json" });

  test("GET /api/v1/runtimes says java17 is available and what runs it", async () => {
    const rts = (await p.api("GET", "/api/v1/runtimes")).json.runtimes as Array<{ id: string; available: boolean; version?: string }>;
    const java = rts.find((r) => r.id === "java17");
    assert.equal(java?.available, true, JSON.stringify(java));
    assert.match(String(java?.version), /^17\./);
  });

  test("a RequestHandler<Order, Receipt> from lib/handlers.jar: POJO in, POJO out, cold then warm", async () => {
    await deploy("java-pojo", "example.PojoHandler::handleRequest");
    const r = await invoke("java-pojo", { id: "o-9", quantity: 3, items: [{ sku: "x", price: 0.5 }] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get("x-hotswap-cold-start"), "true");
    assert.equal(r.json.orderId, `o-9/${r.headers.get("x-request-id")}/bar`);
    assert.equal(r.json.total, 1.5);
    assert.deepEqual(r.json.skus, ["x"]);
    const warm = await invoke("java-pojo", { id: "o-10", quantity: 1, items: [] });
    assert.equal(warm.status, 200, warm.text);
    assert.equal(warm.headers.get("x-hotswap-cold-start"), "false");
    assert.equal(warm.json.total, 0);
  });

  test("a RequestStreamHandler and a plain static method", async () => {
    await deploy("java-stream", "example.Upper");
    const s = await invoke("java-stream", { word: "shout" });
    assert.equal(s.status, 200, s.text);
    assert.deepEqual(s.json, { WORD: "SHOUT" });
    await deploy("java-plain", "example.Facts::twice");
    const t = await invoke("java-plain", 20);
    assert.equal(t.status, 200, t.text);
    assert.equal(t.json, 40);
  });

  test("a thrown exception is a 500 with the Java class as errorType; the instance keeps serving", async () => {
    await deploy("java-throws", "example.Thrower::handleRequest");
    const r = await invoke("java-throws", { a: "x" });
    assert.equal(r.status, 500, r.text);
    assert.equal(r.headers.get("x-hotswap-function-error"), "Unhandled");
    assert.equal(r.json.errorType, "java.lang.IllegalStateException");
    assert.equal(r.json.errorMessage, "bad input: x");
    assert.ok(r.json.stackTrace.some((l: string) => l.startsWith("example.Thrower.")), JSON.stringify(r.json.stackTrace));
    assert.equal((await invoke("java-throws", {})).status, 500);
  });

  test("init errors (class not found, constructor throws) are InitError with Lambda's wording", async () => {
    await deploy("java-noclass", "example.Missing");
    const m = await invoke("java-noclass", {});
    assert.equal(m.status, 502, m.text);
    assert.equal(m.json.error.code, "InitError");
    assert.match(m.json.error.message, /Class not found: example\.Missing/);
    await deploy("java-ctor", "example.InitThrows");
    const c = await invoke("java-ctor", {});
    assert.equal(c.json.error.code, "InitError");
    assert.match(c.json.error.message, /Error loading class example\.InitThrows: missing configuration TABLE_NAME/);
  });

  test("a handler past its timeout is a 504 TimeoutError and the next call gets a fresh instance", async () => {
    await deploy("java-slow", "example.Sleeper", { timeout: 1 });
    const r = await invoke("java-slow", { ms: 5000 });
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json.errorType, "TimeoutError");
    const ok = await invoke("java-slow", { ms: 5 });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers.get("x-hotswap-cold-start"), "true");
  });

  test("publishing a zip without the handler's class or any jar is refused with InvalidHandler", async () => {
    const api = await p.api("POST", "/api/v1/functions", JSON.stringify({ name: "java-empty", runtime: "java17", handler: "example.Nope" }), { "content-type": "application/json" });
    assert.equal(api.status, 201, api.text);
    const { zipFiles } = await import("../support/zip.ts");
    const r = await p.api("POST", "/api/v1/functions/java-empty/versions", zipFiles({ "readme.txt": "no classes" }), { "content-type": "application/zip" });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json.error.code, "InvalidHandler");
    assert.match(r.json.error.message, /example\/Nope\.class/);
  });
});
