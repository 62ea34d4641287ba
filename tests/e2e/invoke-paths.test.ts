/**
 * The invoke endpoint has one implementation, the front door (node:http, in front of Hono), and
 * both ways in, HotSwap's invoke path and the Lambda path, run the same pipeline. This file once
 * compared the fast path with a second, Hono implementation; it now pins what that comparison
 * held them both to: status, platform headers and body for success, handler errors, timeouts and
 * missing functions, and the refusals of bad keys, bad events and oversized events.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { zipFixture } from "../support/zip.ts";

let p: TestPlatform;
before(async () => {
  p = await startPlatform("embedded");
  for (const [name, fixture, timeout] of [["ok", "node-cjs", 30], ["boom", "node-throws", 30], ["slow", "node-sleep", 1]] as const) {
    await p.api("POST", "/api/v1/functions", { name, runtime: "nodejs20", handler: "index.handler", timeout });
    await p.api("POST", `/api/v1/functions/${name}/versions`, zipFixture(fixture), { "content-type": "application/zip" });
  }
});
after(() => p.close());

async function invoke(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(p.url + path, { method: "POST", body, headers: { authorization: `Bearer ${p.key}`, "x-request-id": "fixed-request-id-1", ...headers } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const HINT = 'Send \\"Authorization: Bearer hs_<id>_<secret>\\" with an API key';

test("success, handler error, timeout and a missing function: status, platform headers and body", { timeout: 60_000 }, async () => {
  const ok = await invoke("/api/v1/functions/ok/invoke?qualifier=1", JSON.stringify({ a: 1 }));
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("x-hotswap-version"), "1");
  assert.equal(ok.headers.get("content-type"), "application/json");
  assert.equal(ok.headers.get("x-hotswap-function-error"), null);
  assert.deepEqual(JSON.parse(ok.text).echo, { a: 1 });
  assert.equal(JSON.parse(ok.text).requestId, "fixed-request-id-1");

  const boom = await invoke("/api/v1/functions/boom/invoke", "{}");
  assert.equal(boom.status, 500);
  assert.equal(boom.headers.get("x-hotswap-function-error"), "Unhandled");
  assert.equal(boom.headers.get("x-hotswap-version"), "1");
  assert.equal(JSON.parse(boom.text).errorType, "ValidationError");

  const slow = await invoke("/api/v1/functions/slow/invoke", JSON.stringify({ ms: 3000 }));
  assert.equal(slow.status, 504);
  assert.equal(slow.headers.get("x-hotswap-version"), "1");
  assert.deepEqual(JSON.parse(slow.text), {
    error: { code: "TimeoutError", message: "Task timed out after 1.00 seconds" },
    errorType: "TimeoutError",
    errorMessage: "Task timed out after 1.00 seconds",
  });

  const nope = await invoke("/api/v1/functions/nope/invoke", "{}");
  assert.equal(nope.status, 404);
  assert.equal(nope.headers.get("x-hotswap-version"), null);
  assert.equal(nope.text, '{"error":{"code":"FunctionNotFound","message":"Function \\"nope\\" does not exist. Create it with POST /api/v1/functions."}}');
  for (const r of [ok, boom, slow, nope]) assert.equal(r.headers.get("x-request-id"), "fixed-request-id-1");
});

test("the Hono app only describes the invoke endpoint: it has no second implementation", async () => {
  const hono = await p.server.app.request("/api/v1/functions/ok/invoke", { method: "POST", body: "{}", headers: { authorization: `Bearer ${p.key}` } });
  assert.equal(hono.status, 404);
  assert.equal(((await hono.json()) as any).error.code, "RouteNotFound");
  const doc = (await (await fetch(`${p.url}/openapi.json`)).json()) as any;
  assert.ok(doc.paths["/api/v1/functions/{name}/invoke"].post, "still in the OpenAPI document");
});

test("the HotSwap and Lambda paths run the same pipeline: the same event gives the same result", { timeout: 60_000 }, async () => {
  const event = JSON.stringify({ same: true });
  const hs = await invoke("/api/v1/functions/ok/invoke", event);
  const lambda = await invoke("/2015-03-31/functions/ok/invocations", event);
  assert.equal(hs.status, 200);
  assert.equal(lambda.status, 200);
  const strip = (t: string) => JSON.stringify({ ...JSON.parse(t), remaining: 0 });
  assert.equal(strip(lambda.text), strip(hs.text));
});

test("the front door refuses bad keys, bad events and oversized events", { timeout: 60_000 }, async () => {
  const badKey = await invoke("/api/v1/functions/ok/invoke", "{}", { authorization: `Bearer hs_abcd1234_${"x".repeat(40)}` });
  assert.equal(badKey.status, 401);
  assert.equal(badKey.text, `{"error":{"code":"Unauthorized","message":"Invalid or revoked API key. ${HINT}"}}`);
  const badEvent = await invoke("/api/v1/functions/ok/invoke", "{nope");
  assert.equal(badEvent.status, 400);
  assert.equal(JSON.parse(badEvent.text).error.code, "InvalidRequestContent");
  assert.equal(badEvent.text, `{"error":{"code":"InvalidRequestContent","message":"The event must be valid JSON: Expected property name or '}' in JSON at position 1."}}`);
  const big = await fetch(`${p.url}/api/v1/functions/ok/invoke`, {
    method: "POST",
    headers: { authorization: `Bearer ${p.key}` },
    body: JSON.stringify({ s: "x".repeat(6 * 1024 * 1024) }),
  });
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as any).error.code, "PayloadTooLarge");
  assert.equal((await p.api("POST", "/api/v1/functions/ok/invoke", "{}")).status, 200, "the server keeps serving");
});

test("the front door returns the function's bytes unchanged, multi-byte UTF-8 included", { timeout: 60_000 }, async () => {
  const event = { s: "héllo wörld ✓ 😀 \u2028 終わり", n: 1 };
  const res = await fetch(`${p.url}/api/v1/functions/ok/invoke`, {
    method: "POST",
    headers: { authorization: `Bearer ${p.key}`, "content-type": "application/json" },
    body: JSON.stringify(event),
  });
  assert.equal(res.status, 200);
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(Number(res.headers.get("content-length")), bytes.length, "content-length counts bytes, not characters");
  const body = JSON.parse(bytes.toString("utf8"));
  assert.deepEqual(body.echo, event);
  assert.ok(bytes.includes(Buffer.from("😀", "utf8")), "the emoji arrives as its UTF-8 bytes");
});

test("a Bearer header whose token is only non-ASCII whitespace is refused, not run unauthenticated", { timeout: 30_000 }, async () => {
  // Regression: "Bearer " + U+00A0 once passed the fast path's prefix check and String.trim() then
  // emptied it, which once made the credential check answer "not a Bearer header" and the call ran.
  const { connect } = await import("node:net");
  const url = new URL(p.url);
  for (const junk of [[0xa0], [0x0b], [0x0c], [0xa0, 0x20, 0xa0]]) {
    const socket = connect(Number(url.port), url.hostname);
    socket.write(
      Buffer.concat([
        Buffer.from("POST /api/v1/functions/ok/invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nAuthorization: Bearer "),
        Buffer.from(junk),
        Buffer.from("\r\nConnection: close\r\n\r\n{}"),
      ]),
    );
    let out = "";
    socket.on("data", (d) => (out += d));
    await new Promise((resolve) => socket.on("close", resolve));
    const status = Number(out.split(" ")[1]);
    assert.ok(status === 401 || status === 400, `junk ${junk}: expected a refusal, got ${out.split("\r\n")[0]}`);
    assert.ok(!out.includes('"echo"'), "the function did not run");
  }
});
