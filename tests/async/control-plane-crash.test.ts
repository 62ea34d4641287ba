/**
 * Work survives a control plane's death: two `hotswap server` processes share Postgres, Redis and
 * S3; asynchronous invocations are queued on both, and one is killed with SIGKILL while events are
 * in flight. Every event still ends Succeeded (none lost); the events the dead replica had started
 * run again on the survivor, and the test prints how many ran twice (the documented duplicates).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiClient } from "../../client/index.ts";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { startServer, stopAll, type ServerProcess } from "../support/cli.ts";
import { apiClient, type TestPlatform } from "../support/platform.ts";
import { TEST_DATABASE_URL, TEST_REDIS_URL, createTestDatabase, serviceSkipReason, startS3Server, sharedServersEnv, uniquePrefix } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";
import { zipFiles } from "../support/zip.ts";
import { allFinal, deployInline } from "./support.ts";
import { MARKS_RUNS, runsPerEvent } from "./runs-marks.ts";

test("a control plane killed mid-flight loses no asynchronous event; the survivor finishes them all", { timeout: 180_000 }, async (t) => {
  const skip = (await serviceSkipReason("postgres", TEST_DATABASE_URL)) ?? (await serviceSkipReason("redis", TEST_REDIS_URL));
  if (skip) return t.skip(skip);
  const db = await createTestDatabase();
  const s3 = await startS3Server();
  const runs = await mkdtemp(join(tmpdir(), "hs-runs-"));
  await chmod(runs, 0o777); // sandboxed instances run as their own uid
  const dirs: string[] = [];
  const { key } = generateApiKey();
  const prefix = uniquePrefix("crash");
  const servers: ServerProcess[] = [];
  const start = async (): Promise<TestPlatform> => {
    const dataDir = await mkdtemp(join(tmpdir(), "hs-crash-cp-"));
    dirs.push(dataDir);
    const s = await startServer({
      ...sharedServersEnv({ dataDir, adminKey: key, databaseUrl: db.url, redisPrefix: prefix, s3 }),
      RUNNER_ID: `crash-${servers.length}`,
      HOTSWAP_ASYNC_STALE_AFTER: "PT1S",
      HOTSWAP_ASYNC_RETRY_DELAYS: "PT0.1S,PT0.2S",
      HOTSWAP_ASYNC_CONCURRENCY: "8",
    });
    servers.push(s);
    return { url: s.url, key, server: undefined as never, close: async () => {}, api: apiClient(s.url, key) };
  };
  try {
    const a = await start();
    const b = await start();
    await deployInline(a, "survive", MARKS_RUNS);
    // Version 2 carries RUNS_DIR (configuration takes effect in the next version).
    assert.equal((await a.api("PUT", "/api/v1/functions/survive", { environment: { RUNS_DIR: runs } })).status, 200);
    assert.equal((await a.api("POST", "/api/v1/functions/survive/versions", zipFiles({ "index.js": MARKS_RUNS }), { "content-type": "application/zip" })).status, 201);
    const apiA = createApiClient({ baseUrl: a.url, apiKey: key });
    const apiB = createApiClient({ baseUrl: b.url, apiKey: key });
    const ids: string[] = [];
    for (let n = 0; n < 40; n++) {
      const r = await (n % 2 ? apiB : apiA).async.invoke("survive", { n }, { qualifier: "2" });
      assert.ok(r.ok, JSON.stringify(r));
      ids.push(r.value.requestId);
    }
    // Kill A while both replicas are working through the queue.
    await waitFor("events running", async () => (await readdir(runs)).length >= 6, { timeoutMs: 30_000 });
    servers[0]!.child.kill("SIGKILL");
    await servers[0]!.exited;
    const finals = await allFinal(apiB, ids, 90_000);
    assert.equal(finals.length, 40);
    assert.deepEqual(finals.filter((f) => f.status !== "Succeeded").map((f) => [f.requestId, f.status, f.error]), [], "every event succeeded");
    assert.deepEqual(finals.map((f) => JSON.parse(f.result!).n), Array.from({ length: 40 }, (_, n) => n));
    const marks = await readdir(runs);
    const perEvent = await runsPerEvent(runs);
    assert.deepEqual([...perEvent.keys()].sort(), [...ids].sort(), "every event ran");
    const twice = [...perEvent.values()].filter((c) => c > 1).length;
    const recorded = finals.reduce((s, f) => s + f.duplicates, 0);
    console.log(`control plane killed with events in flight: 40 events, all Succeeded, ${marks.length} runs, ${twice} ran more than once (started on the killed replica), ${recorded} possible duplicates counted in records (takeovers of running events, redeliveries of finished ones)`);
    assert.ok(twice <= 8, "only events the dead replica had started (at most its concurrency) run again");
  } finally {
    await stopAll(servers);
    await s3.close();
    await db.drop();
    for (const d of [...dirs, runs]) await rm(d, { recursive: true, force: true });
  }
});
