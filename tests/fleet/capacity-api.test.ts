/**
 * Capacity settings through the functions API (embedded platform: no services needed), the
 * embedded runner in GET /api/v1/runners, reservedConcurrency with the embedded runner, and
 * `hotswap server` refusing fleet mode without Redis.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { waitFor } from "../support/wait-for.ts";
import { zipDir } from "../support/zip.ts";
import { loadConfig } from "../../platform/src/config.ts";
import { createLogger } from "../../shared/logger.ts";
import { startServer } from "../../platform/src/server.ts";

const WHOAMI = new URL("./fixtures/whoami/", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

describe("capacity settings (embedded platform)", { timeout: 120_000 }, () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded");
  });
  after(async () => {
    await p?.close();
  });

  test("are set at creation and shown by GET /api/v1/functions/{name}", async () => {
    const created = await p.api("POST", "/api/v1/functions", {
      name: "cap",
      runtime: "nodejs20",
      handler: "index.handler",
      reservedConcurrency: 10,
      provisionedConcurrency: 2,
      keepWarm: { schedule: "*/5 * * * *" },
      idleTimeout: "PT10M",
      scheduledScaling: [{ schedule: "0 9 * * 1-5", duration: "PT8H", minInstances: 4, timezone: "Europe/Paris" }],
    });
    assert.equal(created.status, 201, created.text);
    const view = (await p.api("GET", "/api/v1/functions/cap")).json;
    assert.equal(view.reservedConcurrency, 10);
    assert.equal(view.provisionedConcurrency, 2);
    assert.deepEqual(view.keepWarm, { schedule: "*/5 * * * *", instances: 1 });
    assert.equal(view.idleTimeout, "PT10M");
    assert.deepEqual(view.scheduledScaling, [{ schedule: "0 9 * * 1-5", duration: "PT8H", minInstances: 4, timezone: "Europe/Paris" }]);
  });

  test("are changed one at a time by PUT, and cleared with null or []", async () => {
    const put = await p.api("PUT", "/api/v1/functions/cap", { provisionedConcurrency: 3, idleTimeout: null });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.provisionedConcurrency, 3);
    assert.equal(put.json.idleTimeout, null);
    assert.equal(put.json.reservedConcurrency, 10, "untouched settings stay");
    assert.equal(put.json.scheduledScaling.length, 1);
    const cleared = await p.api("PUT", "/api/v1/functions/cap", { reservedConcurrency: null, keepWarm: null, scheduledScaling: [] });
    assert.equal(cleared.status, 200, cleared.text);
    assert.deepEqual(
      { r: cleared.json.reservedConcurrency, k: cleared.json.keepWarm, s: cleared.json.scheduledScaling, p: cleared.json.provisionedConcurrency },
      { r: null, k: null, s: [], p: 3 },
    );
  });

  test("are validated with messages that name the field and the fix", async () => {
    const badCron = await p.api("PUT", "/api/v1/functions/cap", { keepWarm: { schedule: "every day" } });
    assert.equal(badCron.status, 400, badCron.text);
    assert.match(badCron.json.error.message, /keepWarm\.schedule.*is not a cron expression/);
    const badZone = await p.api("PUT", "/api/v1/functions/cap", { scheduledScaling: [{ schedule: "0 9 * * *", duration: "PT1H", minInstances: 1, timezone: "Mars/Base" }] });
    assert.equal(badZone.status, 400, badZone.text);
    assert.match(badZone.json.error.message, /scheduledScaling\.0\.timezone.*IANA time zone/);
    const badIdle = await p.api("PUT", "/api/v1/functions/cap", { idleTimeout: "10 minutes" });
    assert.equal(badIdle.status, 400);
    assert.match(badIdle.json.error.message, /idleTimeout.*ISO-8601/);
    const tooMany = await p.api("PUT", "/api/v1/functions/cap", { reservedConcurrency: 2 });
    assert.equal(tooMany.status, 400, tooMany.text);
    assert.match(tooMany.json.error.message, /provisionedConcurrency \(3\) cannot exceed reservedConcurrency \(2\)/);
  });

  test("reservedConcurrency throttles with 429 on the embedded runner too", async () => {
    await p.api("POST", "/api/v1/functions", { name: "one-at-a-time", runtime: "nodejs20", handler: "index.handler", reservedConcurrency: 1 });
    const v = await p.api("POST", "/api/v1/functions/one-at-a-time/versions", zipDir(WHOAMI), { "content-type": "application/zip" });
    assert.equal(v.status, 201, v.text);
    const invoke = (event: unknown) => p.api("POST", "/api/v1/functions/one-at-a-time/invoke", JSON.stringify(event), { "content-type": "application/json" });
    const slow = invoke({ sleepMs: 1000 });
    // In flight on the runner means past the gate, which counts it: the next one is over the cap.
    await waitFor("the slow invocation in flight", async () => (await p.api("GET", "/api/v1/runners")).json.runners[0].load.inflight === 1, { intervalMs: 10 });
    const throttled = await invoke({});
    assert.equal(throttled.status, 429, throttled.text);
    assert.equal(throttled.json.error.code, "TooManyRequests");
    assert.equal((await slow).status, 200);
  });

  test("provisionedConcurrency keeps instances initialised on the embedded runner too", async () => {
    await p.api("POST", "/api/v1/functions", { name: "prov-embedded", runtime: "nodejs20", handler: "index.handler", provisionedConcurrency: 2 });
    const v = await p.api("POST", "/api/v1/functions/prov-embedded/versions", zipDir(WHOAMI), { "content-type": "application/zip" });
    assert.equal(v.status, 201, v.text);
    const held = async () => {
      const r = (await p.api("GET", "/api/v1/runners")).json.runners[0];
      return r.warm.find((w: { function: string }) => w.function === "prov-embedded") as { instances: number; held: number } | undefined;
    };
    const w = await waitFor("2 provisioned instances held on the embedded runner", held, {
      until: (w) => w?.instances === 2 && w.held === 2,
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    assert.deepEqual({ instances: w?.instances, held: w?.held }, { instances: 2, held: 2 });
    const r = await p.api("POST", "/api/v1/functions/prov-embedded/invoke", "{}", { "content-type": "application/json" });
    assert.equal(r.headers.get("x-hotswap-cold-start"), "false");
  });

  test("GET /api/v1/runners lists the embedded runner with its warm instances", async () => {
    const list = await p.api("GET", "/api/v1/runners");
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.runners.length, 1);
    const r = list.json.runners[0];
    assert.match(r.id, /^embedded-/);
    assert.equal(r.status, "ready");
    assert.ok(r.warm.some((w: { function: string; instances: number }) => w.function === "one-at-a-time" && w.instances === 1));
  });
});

describe("fleet mode needs Redis and the cluster secret", () => {
  test("startServer refuses fleet mode without them, naming both", async () => {
    const config = loadConfig({ HOTSWAP_DATA_DIR: "/nonexistent/never-created", LOG_LEVEL: "silent" });
    await assert.rejects(startServer(config, createLogger("silent"), { runners: "fleet" }), /needs REDIS_URL .* and HOTSWAP_CLUSTER_SECRET .*--embedded-runner/);
  });

  test("`hotswap server` without --embedded-runner exits 1 at once with that message", { timeout: 60_000 }, () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "cli/main.ts", "server"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, HOTSWAP_DATA_DIR: "/nonexistent/never-created" },
      encoding: "utf8",
      timeout: 50_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /without --embedded-runner routes invocations to `hotswap runner` processes and needs REDIS_URL/);
  });

  test("`hotswap runner` exits 1 naming every missing or invalid setting", { timeout: 60_000 }, () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "cli/main.ts", "runner"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, RUNNER_LISTEN: "everywhere", RUNNER_BACKEND: "vm" },
      encoding: "utf8",
      timeout: 50_000,
    });
    assert.equal(r.status, 1, r.stderr);
    for (const name of ["REDIS_URL", "HOTSWAP_CLUSTER_SECRET", "RUNNER_LISTEN", "RUNNER_BACKEND"]) assert.match(r.stderr, new RegExp(`${name}: `));
  });
});
