/**
 * An unmodified API Gateway handler from npm works behind an Http trigger: a Hono app wrapped by
 * Hono's own `hono/aws-lambda` adapter (`handle(app)`), its package bundled into the function's
 * zip from this repository's node_modules, driven through /fn and through HOTSWAP_GATEWAY_PORT:
 * path parameters, repeated query values, a JSON body, a binary body, cookies in and Set-Cookie
 * out, a binary response, and the app's own 404.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, describe } from "node:test";
import { it, startPlatform, type TestPlatform } from "../support/platform.ts";
import { deployFunction } from "../support/deploy.ts";
import { createTrigger, send } from "./support.ts";

const HONO_DIR = new URL("../../node_modules/hono/", import.meta.url).pathname;

/** hono's package.json and its CommonJS build (with the package.json that marks it CommonJS), as node_modules/hono/… files of the zip. */
function honoFiles(): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = { "node_modules/hono/package.json": readFileSync(join(HONO_DIR, "package.json")) };
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".js") || name === "package.json") files[`node_modules/hono/${relative(HONO_DIR, p)}`] = readFileSync(p);
    }
  };
  walk(join(HONO_DIR, "dist/cjs"));
  return files;
}

const APP = `
const { Hono } = require("hono");
const { handle } = require("hono/aws-lambda");
const { getCookie, setCookie } = require("hono/cookie");
const app = new Hono();
app.get("/orders/:id", (c) => c.json({ id: c.req.param("id"), q: c.req.query("q"), tags: c.req.queries("tag") ?? null, method: c.req.method }));
app.post("/orders", async (c) => c.json({ created: await c.req.json(), type: c.req.header("content-type") }, 201));
app.put("/upload", async (c) => {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  return c.json({ size: bytes.length, first: bytes[0], last: bytes[bytes.length - 1] });
});
app.get("/image", (c) => c.body(new Uint8Array([137, 80, 78, 71, 0, 255]), 200, { "content-type": "image/png" }));
app.get("/session", (c) => {
  const seen = getCookie(c, "session") ?? "none";
  setCookie(c, "session", "fresh", { path: "/", httpOnly: true });
  setCookie(c, "theme", "dark");
  return c.text("seen " + seen + ", theme " + (getCookie(c, "theme") ?? "none"));
});
exports.handler = handle(app);
`;

describe("Http triggers: an unmodified Hono app behind hono/aws-lambda", { timeout: 240_000 }, () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded", { HOTSWAP_GATEWAY_PORT: "0" });
    await deployFunction(p, { name: "honoapp", code: { files: { "index.js": APP, "package.json": '{"type":"commonjs"}', ...honoFiles() } } });
    await createTrigger(p, { functionName: "honoapp", type: "Http", config: { methods: ["ANY"], path: "/{proxy+}", auth: "none" } });
  });
  after(async () => {
    await p?.close();
  });

  for (const where of ["/fn", "gateway port"] as const) {
    const base = () => (where === "/fn" ? `${p.url}/fn` : p.server.gatewayUrl!);

    it(`routes path parameters and repeated query values (${where})`, async () => {
      const r = await send(`${base()}/orders/o-17?q=fast&tag=a&tag=b`);
      assert.equal(r.status, 200, r.text);
      assert.match(String(r.headers["content-type"]), /^application\/json/);
      assert.deepEqual(r.json, { id: "o-17", q: "fast", tags: ["a", "b"], method: "GET" });
    });

    it(`reads a JSON body and answers 201 (${where})`, async () => {
      const r = await send(`${base()}/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ item: "book", qty: 2 }) });
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(r.json, { created: { item: "book", qty: 2 }, type: "application/json" });
    });

    it(`reads a binary body and sends a binary response (${where})`, async () => {
      const bytes = Buffer.alloc(3000, 7);
      bytes[0] = 255;
      bytes[2999] = 128;
      const up = await send(`${base()}/upload`, { method: "PUT", headers: { "content-type": "application/octet-stream" }, body: bytes });
      assert.equal(up.status, 200, up.text);
      assert.deepEqual(up.json, { size: 3000, first: 255, last: 128 });
      const img = await send(`${base()}/image`);
      assert.equal(img.status, 200);
      assert.equal(img.headers["content-type"], "image/png");
      assert.deepEqual([...img.body], [137, 80, 78, 71, 0, 255]);
    });

    it(`reads cookies and sets them back (${where})`, async () => {
      const r = await send(`${base()}/session`, { headers: { cookie: "session=old; theme=light" } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.text, "seen old, theme light");
      const set = r.headers["set-cookie"];
      assert.ok(Array.isArray(set), `set-cookie ${JSON.stringify(set)}`);
      assert.ok(set.some((c) => /^session=fresh;.*Path=\/.*HttpOnly/i.test(c)), JSON.stringify(set));
      assert.ok(set.some((c) => /^theme=dark/.test(c)), JSON.stringify(set));
    });

    it(`passes the app's own 404 through (${where})`, async () => {
      const r = await send(`${base()}/no/such/page`);
      assert.equal(r.status, 404);
      assert.equal(r.text, "404 Not Found", "Hono's not-found answer, not the gateway's");
    });
  }
});
