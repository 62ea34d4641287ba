/**
 * The embedded async queue survives kill -9: one `hotswap server` on its embedded stores (PGlite
 * in a data directory, no REDIS_URL) accepts asynchronous invocations (202), is killed with SIGKILL
 * while they run, and is started again on the same data directory. Every accepted event ends
 * Succeeded (none lost); the ones that were running when it died run again, and each of those is
 * counted in its record's duplicates. The test prints the figures.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiClient } from "../../client/index.ts";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { spawnServer, stopAll, waitForOutput, type ServerProcess } from "../support/cli.ts";
import { apiClient, type TestPlatform } from "../support/platform.ts";
import { waitFor } from "../support/wait-for.ts";
import { zipFiles } from "../support/zip.ts";
import { allFinal, deployInline, FAST_ASYNC_ENV } from "./support.ts";
import { MARKS_RUNS, runsPerEvent } from "./runs-marks.ts";

const EVENTS = 30;
const CONCURRENCY = 4;

test("an embedded server killed with events queued and running loses none: restarted on its data dir, it finishes them all", { timeout: 240_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "hs-embedded-crash-"));
  const runs = await mkdtemp(join(tmpdir(), "hs-runs-"));
  await chmod(runs, 0o777); // sandboxed instances run as their own uid
  const { key } = generateApiKey();
  const servers: ServerProcess[] = [];
  const start = async (): Promise<TestPlatform> => {
    const s = spawnServer({ HOTSWAP_DATA_DIR: dataDir, HOTSWAP_ADMIN_KEY: key, PORT: "0", HOST: "127.0.0.1", ...FAST_ASYNC_ENV, HOTSWAP_ASYNC_CONCURRENCY: String(CONCURRENCY) });
    servers.push(s);
    const url = (await waitForOutput(s, /serving on (http:\/\/\S+)/, 60_000))[1]!;
    return { url, key, server: undefined as never, close: async () => {}, api: apiClient(url, key) };
  };
  try {
    const first = await start();
    await deployInline(first, "durable", MARKS_RUNS);
    assert.equal((await first.api("PUT", "/api/v1/functions/durable", { environment: { RUNS_DIR: runs } })).status, 200);
    assert.equal((await first.api("POST", "/api/v1/functions/durable/versions", zipFiles({ "index.js": MARKS_RUNS }), { "content-type": "application/zip" })).status, 201);
    const api = createApiClient({ baseUrl: first.url, apiKey: key });
    const ids: string[] = [];
    for (let n = 0; n < EVENTS; n++) {
      const r = await api.async.invoke("durable", { n }, { qualifier: "2" });
      assert.ok(r.ok, JSON.stringify(r));
      ids.push(r.value.requestId);
    }
    await waitFor("events running", async () => (await readdir(runs)).length >= CONCURRENCY, { timeoutMs: 60_000 });
    servers[0]!.child.kill("SIGKILL");
    await servers[0]!.exited;
    const ranBefore = (await readdir(runs)).length;

    const second = await start();
    const api2 = createApiClient({ baseUrl: second.url, apiKey: key });
    const finals = await allFinal(api2, ids, 120_000);
    assert.deepEqual(finals.filter((f) => f.status !== "Succeeded").map((f) => [f.requestId, f.status, f.error]), [], "every event succeeded");
    assert.deepEqual(finals.map((f) => JSON.parse(f.result!).n), Array.from({ length: EVENTS }, (_, n) => n));
    const perEvent = await runsPerEvent(runs);
    assert.deepEqual([...perEvent.keys()].sort(), [...ids].sort(), "every event ran");
    const twice = finals.filter((f) => perEvent.get(f.requestId)! > 1);
    const counted = finals.reduce((s, f) => s + f.duplicates, 0);
    console.log(
      `embedded server killed with ${EVENTS} events accepted (${ranBefore} runs had started): all Succeeded after the restart, ` +
        `${[...perEvent.values()].reduce((a, b) => a + b, 0)} runs, ${twice.length} ran more than once, ${counted} possible duplicates counted in records`,
    );
    assert.ok(twice.length <= CONCURRENCY, "only events running at the kill run again");
    assert.deepEqual(twice.filter((f) => f.duplicates < 1).map((f) => f.requestId), [], "every event that ran twice is counted as a duplicate");
    assert.ok(ranBefore < EVENTS, "the kill came with events still queued (the test exercised the queue, not just running ones)");
  } finally {
    await stopAll(servers);
    for (const d of [dataDir, runs]) await rm(d, { recursive: true, force: true });
  }
});
