/**
 * End-to-end: `hotswap server` as users start it (what `npm start` runs), on a fresh data dir:
 * it serves within 10 s, prints the URL and the admin key once, refuses invalid configuration
 * with exit 1 naming the field, and on SIGTERM finishes in-flight invocations before exiting.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipFixture } from "../support/zip.ts";
import { spawnServer, waitForOutput } from "../support/cli.ts";


const startCli = spawnServer;

test("hotswap server on a fresh data dir serves within 10 s, prints the URL and the admin key once, and drains on SIGTERM", { timeout: 60_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "hs-cli-"));
  const port = String(20000 + Math.floor(Math.random() * 20000));
  try {
    const started = Date.now();
    const first = startCli({ HOTSWAP_DATA_DIR: dataDir, PORT: port });
    const [, url] = await waitForOutput(first, /serving on (http:\/\/\S+)/, 10_000);
    assert.ok(Date.now() - started < 10_000);
    const [, key] = await waitForOutput(first, /(hs_[a-z0-9]+_[A-Za-z0-9]+)/, 2000);
    const auth = { authorization: `Bearer ${key}` };
    assert.equal((await fetch(`${url}/health`)).status, 200);
    assert.equal((await fetch(`${url}/api/v1/functions`, { headers: auth })).status, 200);

    // An invocation in flight when SIGTERM arrives still completes.
    await fetch(`${url}/api/v1/functions`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ name: "slow", runtime: "nodejs20", handler: "index.handler" }),
    });
    await fetch(`${url}/api/v1/functions/slow/versions`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/zip" },
      body: zipFixture("node-sleep"),
    });
    const inflight = fetch(`${url}/api/v1/functions/slow/invoke`, { method: "POST", headers: auth, body: JSON.stringify({ ms: 1500 }) });
    await new Promise((r) => setTimeout(r, 500));
    first.child.kill("SIGTERM");
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { slept: 1500 });
    assert.equal(await first.exited, 0, first.output());

    // Second start on the same data dir: same key works, and it is not printed again.
    const second = startCli({ HOTSWAP_DATA_DIR: dataDir, PORT: port });
    await waitForOutput(second, /serving on/, 10_000);
    assert.doesNotMatch(second.output(), /hs_[a-z0-9]+_[A-Za-z0-9]{32,}/);
    assert.equal((await fetch(`${url}/api/v1/functions`, { headers: auth })).status, 200);
    second.child.kill("SIGTERM");
    assert.equal(await second.exited, 0);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test("hotswap server exits 1 and names every invalid setting", { timeout: 30_000 }, async () => {
  const run = startCli({ PORT: "not-a-port", REDIS_URL: "http://wrong", HOTSWAP_ADMIN_KEY: "short" });
  assert.equal(await run.exited, 1);
  assert.match(run.output(), /PORT/);
  assert.match(run.output(), /REDIS_URL/);
  assert.match(run.output(), /HOTSWAP_ADMIN_KEY/);
  assert.doesNotMatch(run.output(), /serving on/);
});
