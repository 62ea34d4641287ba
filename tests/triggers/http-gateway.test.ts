/**
 * End-to-end: Http triggers as API backends on a real control plane with its embedded runner.
 * The payload format 2.0 event field by field, result mapping, route precedence, 404/405, CORS
 * preflight, the per-route body limit, auth none/key, statistics, and the gateway port.
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { it, startPlatform, type TestPlatform } from "../support/platform.ts";
import { apiOf, deployFunction, expectOk, nodeCode } from "../support/deploy.ts";
import { eventually } from "../fleet/support/cluster.ts";
import { createTrigger, deployEcho, send } from "./support.ts";

describe("Http triggers: the gateway", { timeout: 240_000 }, () => {
  let p: TestPlatform;
  let fn: string; // /fn base URL
  before(async () => {
    p = await startPlatform("embedded", { HOTSWAP_GATEWAY_PORT: "0" });
    fn = `${p.url}/fn`;
    await deployEcho(p, "echo");
    await createTrigger(p, { functionName: "echo", type: "Http", config: { methods: ["GET", "POST"], path: "/orders/{id}", auth: "none" } });
    await createTrigger(p, { functionName: "echo", type: "Http", config: { methods: ["GET"], path: "/orders/special", auth: "none" } });
    await createTrigger(p, { functionName: "echo", type: "Http", config: { methods: ["ANY"], path: "/files/{proxy+}", auth: "none" } });
    await createTrigger(p, { functionName: "echo", type: "Http", config: { methods: ["POST"], path: "/private", auth: "key" } });
  });
  after(async () => {
    await p?.close();
  });

  it("passes API Gateway's payload format 2.0, field by field", async () => {
    const before = Date.now();
    const r = await send(`${fn}/orders/a%20b?x=1&x=2&y=z&empty=`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "trigger-test/1",
        "x-multi": ["one", "two"],
        cookie: "a=1; b=2",
        "x-request-id": "req-trigger-0001",
      },
      body: JSON.stringify({ hello: "world" }),
    });
    assert.equal(r.status, 200, r.text);
    const e = r.json;
    assert.equal(e.version, "2.0");
    assert.equal(e.routeKey, "POST /orders/{id}");
    assert.equal(e.rawPath, "/orders/a%20b");
    assert.equal(e.rawQueryString, "x=1&x=2&y=z&empty=");
    assert.deepEqual(e.cookies, ["a=1", "b=2"]);
    assert.equal(e.headers["content-type"], "application/json");
    assert.equal(e.headers["x-multi"], "one,two");
    assert.equal(e.headers["user-agent"], "trigger-test/1");
    assert.equal(e.headers.cookie, undefined, "cookies travel in `cookies`, not in headers");
    assert.ok(Object.keys(e.headers).every((k) => k === k.toLowerCase()), "header names are lower-case");
    assert.deepEqual(e.queryStringParameters, { x: "1,2", y: "z", empty: "" });
    assert.deepEqual(e.pathParameters, { id: "a b" });
    assert.equal(e.body, '{"hello":"world"}');
    assert.equal(e.isBase64Encoded, false);
    assert.equal("stageVariables" in e, false);
    const rc = e.requestContext;
    assert.equal(rc.accountId, "000000000000");
    assert.equal(rc.apiId, "hotswap");
    assert.equal(rc.domainName, new URL(p.url).host);
    assert.equal(rc.domainPrefix, "127");
    assert.deepEqual(rc.http, { method: "POST", path: "/orders/a%20b", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "trigger-test/1" });
    assert.equal(rc.requestId, "req-trigger-0001");
    assert.equal(rc.routeKey, "POST /orders/{id}");
    assert.equal(rc.stage, "$default");
    assert.match(rc.time, /^\d{2}\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    assert.ok(rc.timeEpoch >= before - 1000 && rc.timeEpoch <= Date.now(), `timeEpoch ${rc.timeEpoch}`);
    assert.equal(r.headers["x-request-id"], "req-trigger-0001");
    assert.equal(r.headers["apigw-requestid"], "req-trigger-0001");
  });

  it("leaves out query, path parameters, cookies and body when the request has none; base64-encodes a binary body", async () => {
    const plain = (await send(`${fn}/orders/special`)).json;
    assert.equal(plain.routeKey, "GET /orders/special", "an exact segment beats a parameter");
    for (const k of ["queryStringParameters", "pathParameters", "cookies", "body"]) assert.equal(k in plain, false, k);
    assert.equal(plain.isBase64Encoded, false);
    assert.equal(plain.rawQueryString, "");
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255]);
    const bin = (await send(`${fn}/files/a/b%2Fc/d.bin`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: bytes })).json;
    assert.equal(bin.routeKey, "ANY /files/{proxy+}");
    assert.deepEqual(bin.pathParameters, { proxy: "a/b/c/d.bin" });
    assert.equal(bin.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(bin.body, "base64"), bytes);
  });

  it("answers 404 RouteNotFound and 405 MethodNotAllowed with Allow", async () => {
    const none = await send(`${fn}/nowhere`);
    assert.equal(none.status, 404);
    assert.equal(none.json.error.code, "RouteNotFound");
    const wrong = await send(`${fn}/orders/1`, { method: "DELETE" });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.json.error.code, "MethodNotAllowed");
    assert.equal(wrong.headers["allow"], "GET, POST");
    const greedyNeedsASegment = await send(`${fn}/files`);
    assert.equal(greedyNeedsASegment.status, 404);
  });

  it("maps results as API Gateway does: plain values are 200 JSON, statusCode responses keep headers, cookies and base64 bodies, errors are 500", async () => {
    const ask = (reply: unknown) => send(`${fn}/orders/1`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ reply }) });
    const obj = await ask({ a: 1 });
    assert.equal(obj.status, 200);
    assert.equal(obj.headers["content-type"], "application/json");
    assert.equal(obj.text, '{"a":1}');
    const arr = await ask([1, 2]);
    assert.equal(arr.text, "[1,2]");
    const num = await ask(42);
    assert.equal(num.text, "42");
    const str = await ask("hello");
    assert.equal(str.status, 200);
    assert.equal(str.text, "hello", "a string is the body as is");
    assert.equal(str.headers["content-type"], "application/json");
    const full = await ask({ statusCode: 201, headers: { "content-type": "text/plain", "x-custom": 7 }, cookies: ["s=1; Path=/", "t=2"], body: "made" });
    assert.equal(full.status, 201);
    assert.equal(full.headers["content-type"], "text/plain");
    assert.equal(full.headers["x-custom"], "7");
    assert.deepEqual(full.headers["set-cookie"], ["s=1; Path=/", "t=2"]);
    assert.equal(full.text, "made");
    const b64 = await ask({ statusCode: 200, headers: { "content-type": "image/png" }, body: Buffer.from([137, 80, 78, 71]).toString("base64"), isBase64Encoded: true });
    assert.deepEqual([...b64.body], [137, 80, 78, 71]);
    const noBody = await ask({ statusCode: 204 });
    assert.equal(noBody.status, 204);
    assert.equal(noBody.text, "");
    const thrown = await ask("throw");
    assert.equal(thrown.status, 500);
    assert.deepEqual(thrown.json, { message: "Internal Server Error" });
    const badStatus = await ask({ statusCode: "teapot" });
    assert.equal(badStatus.status, 500);
    assert.deepEqual(badStatus.json, { message: "Internal Server Error" });
  });

  it("counts executions and failures (5xx, function errors) in batches, with the last error", async () => {
    const api = apiOf(p);
    await deployEcho(p, "counted");
    const t = await createTrigger(p, { functionName: "counted", type: "Http", config: { methods: ["POST"], path: "/counted", auth: "none" } });
    assert.equal(t.executionCount, 0);
    assert.equal(t.lastExecutedAt, null);
    const post = (reply: unknown) => send(`${fn}/counted`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ reply }) });
    for (let i = 0; i < 3; i++) assert.equal((await post({ ok: i })).status, 200);
    assert.equal((await post({ statusCode: 503 })).status, 503);
    assert.equal((await post("throw")).status, 500);
    const after = await eventually("the batched statistics", async () => {
      const v = expectOk(await api.triggers.get(t.triggerId), "get trigger");
      return v.executionCount === 5 ? v : undefined;
    }, 10_000);
    assert.equal(after.failureCount, 2);
    assert.match(after.lastError!, /asked to fail/);
    assert.ok(after.lastExecutedAt && Date.parse(after.lastExecutedAt) > Date.now() - 60_000);
  });

  it("answers a CORS preflight from the route's settings and adds CORS headers to responses", async () => {
    await createTrigger(p, {
      functionName: "echo",
      type: "Http",
      config: {
        methods: ["PUT"],
        path: "/cors/{id}",
        auth: "none",
        cors: { allowOrigins: ["https://app.example"], allowMethods: ["PUT", "GET"], allowHeaders: ["content-type", "x-token"], exposeHeaders: ["x-request-id"], maxAge: 600, allowCredentials: true },
      },
    });
    const pre = await send(`${fn}/cors/7`, { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "PUT", "access-control-request-headers": "content-type" } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers["access-control-allow-origin"], "https://app.example");
    assert.equal(pre.headers["access-control-allow-methods"], "PUT,GET");
    assert.equal(pre.headers["access-control-allow-headers"], "content-type,x-token");
    assert.equal(pre.headers["access-control-max-age"], "600");
    assert.equal(pre.headers["access-control-allow-credentials"], "true");
    const other = await send(`${fn}/cors/7`, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "PUT" } });
    assert.equal(other.status, 204);
    assert.equal(other.headers["access-control-allow-origin"], undefined, "an origin not listed gets no grant");
    const actual = await send(`${fn}/cors/7`, { method: "PUT", headers: { origin: "https://app.example", "content-type": "application/json" }, body: "{}" });
    assert.equal(actual.status, 200);
    assert.equal(actual.headers["access-control-allow-origin"], "https://app.example");
    assert.equal(actual.headers["access-control-expose-headers"], "x-request-id");
    assert.equal(actual.headers["access-control-allow-credentials"], "true");
    assert.equal(actual.headers["vary"], "origin");
  });

  it("refuses a body over the route's limit with 413 PayloadTooLarge, declared or streamed", async () => {
    await createTrigger(p, { functionName: "echo", type: "Http", config: { methods: ["POST"], path: "/small", auth: "none", maxBodyBytes: 1000 } });
    const fits = await send(`${fn}/small`, { method: "POST", headers: { "content-type": "text/plain" }, body: "x".repeat(1000) });
    assert.equal(fits.status, 200, fits.text);
    assert.equal(fits.json.body.length, 1000);
    const declared = await send(`${fn}/small`, { method: "POST", headers: { "content-type": "text/plain" }, body: "x".repeat(1001) });
    assert.equal(declared.status, 413);
    assert.equal(declared.json.error.code, "PayloadTooLarge");
    assert.match(declared.json.error.message, /1001 bytes.*1000 byte limit/);
    const streamed = await send(`${fn}/small`, { method: "POST", headers: { "content-type": "text/plain", "transfer-encoding": "chunked" }, body: "y".repeat(5000) });
    assert.equal(streamed.status, 413);
    assert.equal(streamed.json.error.code, "PayloadTooLarge");
  });

  it("auth key: 401 without an API key or with a wrong one, 200 with the admin key; auth none is public", async () => {
    const none = await send(`${fn}/private`, { method: "POST", body: "{}" });
    assert.equal(none.status, 401);
    assert.equal(none.json.error.code, "Unauthorized");
    const wrong = await send(`${fn}/private`, { method: "POST", headers: { authorization: `Bearer hs_abcd1234_${"x".repeat(40)}` }, body: "{}" });
    assert.equal(wrong.status, 401);
    const ok = await send(`${fn}/private`, { method: "POST", headers: { authorization: `Bearer ${p.key}`, "content-type": "application/json" }, body: "{}" });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.routeKey, "POST /private");
    assert.equal(ok.json.headers.authorization, `Bearer ${p.key}`, "the function sees the request's headers");
  });

  it("serves the same routes at the bare path on HOTSWAP_GATEWAY_PORT (and only there without /fn)", async () => {
    const gw = p.server.gatewayUrl!;
    assert.match(gw, /^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await send(`${gw}/orders/42?q=1`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.rawPath, "/orders/42");
    assert.deepEqual(r.json.pathParameters, { id: "42" });
    assert.equal(r.json.requestContext.domainName, new URL(gw).host);
    const api = await send(`${gw}/api/v1/functions`, { headers: { authorization: `Bearer ${p.key}` } });
    assert.equal(api.status, 404, "the gateway port does not serve the API");
    assert.equal(api.json.error.code, "RouteNotFound");
  });

  it("follows trigger updates, disables and deletes at once, and a function's deletion removes its routes", async () => {
    const api = apiOf(p);
    await deployEcho(p, "moving");
    const t = await createTrigger(p, { functionName: "moving", type: "Http", config: { methods: ["GET"], path: "/moving/a", auth: "none" } });
    assert.equal((await send(`${fn}/moving/a`)).status, 200);
    expectOk(await api.triggers.update(t.triggerId, { config: { methods: ["GET"], path: "/moving/b", auth: "none" } }), "move the route");
    assert.equal((await send(`${fn}/moving/a`)).status, 404);
    assert.equal((await send(`${fn}/moving/b`)).status, 200);
    expectOk(await api.triggers.update(t.triggerId, { enabled: false }), "disable");
    assert.equal((await send(`${fn}/moving/b`)).status, 404, "a disabled trigger is not served");
    expectOk(await api.triggers.update(t.triggerId, { enabled: true }), "enable");
    assert.equal((await send(`${fn}/moving/b`)).status, 200);
    expectOk(await api.functions.delete("moving"), "delete the function");
    const gone = await api.triggers.get(t.triggerId);
    assert.equal(gone.ok, false);
    assert.equal(!gone.ok && gone.error.code, "TriggerNotFound");
    await eventually("the route gone", async () => (await send(`${fn}/moving/b`)).status === 404, 5000);
  });

  it("answers HEAD from a GET route without a body, and an OPTIONS without CORS settings is an ordinary method (405 here)", async () => {
    const head = await send(`${fn}/orders/special`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    const options = await send(`${fn}/orders/special`, { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "GET" } });
    assert.equal(options.status, 405);
    assert.equal(options.headers["access-control-allow-origin"], undefined);
  });

  it("answers a function timeout with 504 as API Gateway does, and counts it as a failure", async () => {
    await deployFunction(p, { name: "slow", timeout: 1, code: nodeCode("exports.handler=()=>new Promise((r)=>setTimeout(()=>r({late:true}),3000))") });
    const t = await createTrigger(p, { functionName: "slow", type: "Http", config: { methods: ["GET"], path: "/slow", auth: "none" } });
    const r = await send(`${fn}/slow`);
    assert.equal(r.status, 504, r.text);
    assert.deepEqual(r.json, { message: "Service Unavailable" });
    const after = await eventually("the timeout counted", async () => {
      const v = expectOk(await apiOf(p).triggers.get(t.triggerId), "get");
      return v.failureCount === 1 ? v : undefined;
    }, 10_000);
    assert.match(after.lastError!, /^TimeoutError: /);
  });

  it("answers odd paths with an error document, never a 5xx, and keeps serving", async () => {
    for (const path of ["/%", "/%ZZ", "/orders/%E0%A4%A", "/..", "//orders/1", "/orders//1", "/orders/1/", `/${"a".repeat(5000)}`, "/files/%2e%2e/%2e%2e/etc/passwd", "/orders/%00"]) {
      const r = await send(`${fn}${path}`);
      assert.ok(r.status < 500, `${path}: ${r.status} ${r.text}`);
      if (r.status >= 400) assert.equal(typeof r.json?.error?.code, "string", `${path}: ${r.text}`);
    }
    const traversal = await send(`${fn}/files/%2e%2e/x`);
    assert.deepEqual(traversal.json.pathParameters, { proxy: "../x" }, "decoded into the parameter, never resolved as a path");
    assert.equal((await send(`${fn}/orders/1`)).status, 200);
  });

  it("invokes the trigger's qualifier (an alias)", async () => {
    await deployFunction(p, { name: "versioned", code: [nodeCode("exports.handler=async()=>({v:1})"), nodeCode("exports.handler=async()=>({v:2})")], alias: { name: "live", version: 1 } });
    await createTrigger(p, { functionName: "versioned", qualifier: "live", type: "Http", config: { methods: ["GET"], path: "/versioned", auth: "none" } });
    assert.deepEqual((await send(`${fn}/versioned`)).json, { v: 1 });
  });
});
