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
import { spawnServer, stopAll, waitForOutput, type ServerProcess } from "../support/cli.ts";
import { apiOf, deployFunction, expectOk, invokeFunction } from "../support/deploy.ts";


const startCli = spawnServer;

test("hotswap server on a fresh data dir serves within 10 s, prints the URL and the admin key once, and drains on SIGTERM", { timeout: 60_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "hs-cli-"));
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const servers: ServerProcess[] = [];
  try {
    const started = Date.now();
    const first = startCli({ HOTSWAP_DATA_DIR: dataDir, PORT: port });
    servers.push(first);
    const [, url] = await waitForOutput(first, /serving on (http:\/\/\S+)/, 10_000);
    assert.ok(Date.now() - started < 10_000);
    const [, key] = await waitForOutput(first, /(hs_[a-z0-9]+_[A-Za-z0-9]+)/, 2000);
    const target = { url: url!, key: key! };
    const api = apiOf(target);
    expectOk(await api.system.health(), "GET /health", 200);
    expectOk(await api.functions.list(), "listing functions", 200);

    // An invocation in flight when SIGTERM arrives still completes.
    await deployFunction(target, { name: "slow", code: { fixture: "node-sleep" } });
    const inflight = invokeFunction(target, "slow", { ms: 1500 });
    await new Promise((r) => setTimeout(r, 500));
    first.child.kill("SIGTERM");
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { slept: 1500 });
    assert.equal(await first.exited, 0, first.output());

    // Second start on the same data dir: same key works, and it is not printed again.
    const second = startCli({ HOTSWAP_DATA_DIR: dataDir, PORT: port });
    servers.push(second);
    await waitForOutput(second, /serving on/, 10_000);
    assert.doesNotMatch(second.output(), /hs_[a-z0-9]+_[A-Za-z0-9]{32,}/);
    expectOk(await api.functions.list(), "listing functions with the same key", 200);
    second.child.kill("SIGTERM");
    assert.equal(await second.exited, 0);
  } finally {
    // A server still running after a failure keeps writing its data dir: stop it first, so the
    // failure is reported rather than hidden behind an ENOTEMPTY from rm.
    await stopAll(servers);
    await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
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
