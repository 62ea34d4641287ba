/**
 * The console's static serving: index.html revalidated, hashed assets cached immutably with their
 * content types, the CSP and hardening headers on every answer, only files the bundle holds (no
 * path escapes), and a 503 that says how to build a missing bundle.
 */
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CONSOLE_CSP, CONSOLE_ROUTE_PATHS, consoleRoutes } from "./console-assets.ts";

describe("console assets", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hs-console-"));
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "index.html"), "<!doctype html><title>HotSwap console</title>");
    await writeFile(join(dir, "assets", "console-AB12.js"), "console.log(1)");
    await writeFile(join(dir, "assets", "styles-CD34.css"), "body{}");
    await writeFile(join(dir, "secret.txt"), "not an asset");
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("serves exactly the routes it declares public", () => {
    assert.deepEqual(consoleRoutes({ dir }).routes.map((r) => r.path), [...CONSOLE_ROUTE_PATHS]);
  });

  it("answers / with index.html, revalidated, under the strict CSP", async () => {
    const res = await consoleRoutes({ dir }).request("/");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.equal(res.headers.get("content-security-policy"), CONSOLE_CSP);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.match(await res.text(), /HotSwap console/);
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) assert.ok(CONSOLE_CSP.includes(directive), directive);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-|https?:|\*/);
  });

  it("answers hashed assets with their content type, cached for a year", async () => {
    const app = consoleRoutes({ dir });
    const js = await app.request("/console/assets/console-AB12.js");
    assert.equal(js.status, 200);
    assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(js.headers.get("content-security-policy"), CONSOLE_CSP);
    assert.equal(await js.text(), "console.log(1)");
    const css = await app.request("/console/assets/styles-CD34.css");
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  });

  it("answers 404 for anything the bundle does not hold, escapes included", async () => {
    const app = consoleRoutes({ dir });
    for (const path of ["/console/assets/nope-1.js", "/console/assets/..%2Fsecret.txt", "/console/assets/%2e%2e%2fsecret.txt", "/console/assets/secret.txt", "/console/assets/../index.html"]) {
      const res = await app.request(path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /not an asset/, path);
    }
  });

  it("answers 503 saying how to build a missing bundle", async () => {
    const res = await consoleRoutes({ dir: join(dir, "missing") }).request("/");
    assert.equal(res.status, 503);
    assert.match(await res.text(), /npm run build:console/);
    assert.equal(res.headers.get("content-security-policy"), CONSOLE_CSP);
  });
});
