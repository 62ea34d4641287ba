/**
 * The invoke fast path (node:http, in front of Hono) and the Hono route must answer alike:
 * same status, platform headers and body for success, handler errors and platform errors.
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

const PLATFORM_HEADERS = ["x-hotswap-version", "x-hotswap-cold-start", "x-hotswap-start", "x-hotswap-function-error", "content-type"];

async function both(path: string, body: string, headers: Record<string, string> = {}) {
  const init = { method: "POST", body, headers: { authorization: `Bearer ${p.key}`, "x-request-id": "fixed-request-id-1", ...headers } };
  const fast = await fetch(p.url + path, init);
  const hono = await p.server.app.request(path, init);
  return { fast: { status: fast.status, headers: fast.headers, text: await fast.text() }, hono: { status: hono.status, headers: hono.headers, text: await hono.text() } };
}

const normalise = (text: string) => text.replace(/"remaining":\d+/, '"remaining":0');

test("success, handler error and timeout answer the same on both paths", { timeout: 60_000 }, async () => {
  await both("/api/v1/functions/slow/invoke", JSON.stringify({ ms: 1 })); // warm both paths' first call out of the comparison
  for (const [path, event] of [
    ["/api/v1/functions/ok/invoke?qualifier=1", { a: 1 }],
    ["/api/v1/functions/boom/invoke", {}],
    ["/api/v1/functions/slow/invoke", { ms: 3000 }],
    ["/api/v1/functions/nope/invoke", {}],
  ] as const) {
    const r = await both(path, JSON.stringify(event));
    assert.equal(r.fast.status, r.hono.status, path);
    for (const h of PLATFORM_HEADERS) {
      if (h === "x-hotswap-cold-start" || h === "x-hotswap-start") continue; // the first of the two calls may be the cold one
      assert.equal(r.fast.headers.get(h), r.hono.headers.get(h), `${path} ${h}`);
    }
    assert.equal(r.fast.headers.get("x-request-id"), "fixed-request-id-1");
    if (r.fast.status !== 504) assert.equal(normalise(r.fast.text).replace(/"stackTrace":\[[^\]]*\]/, ""), normalise(r.hono.text).replace(/"stackTrace":\[[^\]]*\]/, ""), path);
  }
});

test("the fast path refuses bad keys, bad events and oversized events like the Hono route", { timeout: 60_000 }, async () => {
  const badKey = await both("/api/v1/functions/ok/invoke", "{}", { authorization: `Bearer hs_abcd1234_${"x".repeat(40)}` });
  assert.equal(badKey.fast.status, 401);
  assert.equal(badKey.fast.text, badKey.hono.text);
  const badEvent = await both("/api/v1/functions/ok/invoke", "{nope");
  assert.equal(badEvent.fast.status, 400);
  assert.equal(JSON.parse(badEvent.fast.text).error.code, "InvalidRequestContent");
  assert.equal(badEvent.fast.text, badEvent.hono.text);
  const big = await fetch(`${p.url}/api/v1/functions/ok/invoke`, {
    method: "POST",
    headers: { authorization: `Bearer ${p.key}` },
    body: JSON.stringify({ s: "x".repeat(6 * 1024 * 1024) }),
  });
  assert.equal(big.status, 413);
  assert.equal(((await big.json()) as any).error.code, "PayloadTooLarge");
  assert.equal((await p.api("POST", "/api/v1/functions/ok/invoke", "{}")).status, 200, "the server keeps serving");
});

test("the fast path returns the function's bytes unchanged, multi-byte UTF-8 included", { timeout: 60_000 }, async () => {
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
  // Regression: "Bearer " + U+00A0 passed the fast path's prefix check and String.trim() then
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
