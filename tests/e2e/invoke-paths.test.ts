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
