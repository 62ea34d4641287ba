/**
 * A shutdown always ends (issue 14, finding 8): `hotswap server --embedded-runner` is stopped with
 * SIGTERM 33 times under mixed work, and every stop must end within HOTSWAP_SHUTDOWN_GRACE + 5 s
 * with no instance process left behind (checked by pid and by process group, so a custom
 * runtime's curl counts too). The work at each stop: invocations in flight, invocations queued
 * at a function's instance cap, cold starts (every boot starts cold, and a stem refills), a
 * handler that never returns, a `provided` function over the Runtime API, and a function whose
 * init never ends, called and provisioned. SIGTERM lands at a
 * different moment of that work on each stop.
 *
 * Two ways to stop, side by side: `hotswap server` processes sent SIGTERM (the command, its exit
 * code and its hard deadline; 2 lanes × 5 stops, on PGlite and on Postgres + Redis), and a
 * control plane in this process closed by server.close() (23 stops, reopening the same stores;
 * no deadline there, so close() itself must end in time). Process starts dominate the time, which
 * is why most stops are in-process.
 *
 * Bounded: 2 s grace; a stop may take at most 9 s before the test gives up on it (and kills what
 * is left); the test's own timeout is under 3 minutes.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { hostname } from "node:os";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { startServer } from "../../platform/src/server.ts";
import { loadServerSettings } from "../../cli/server-settings.ts";
import { embeddedRunner } from "../../cli/embedded-runner.ts";
import { createLogger } from "../../shared/logger.ts";
import { apiClient } from "../support/platform.ts";
import { spawnServer, waitForOutput, type ServerProcess } from "../support/cli.ts";
import { zipFiles, zipFixture } from "../support/zip.ts";
import { createTestDatabase, serviceSkipReason, TEST_DATABASE_URL, TEST_REDIS_URL, type TestDatabase } from "../support/services.ts";

const GRACE_S = 2;
const LIMIT_MS = (GRACE_S + 5) * 1000;
/** `hotswap server` processes side by side, and how often each is stopped. */
const CLI_LANES = 2;
const CLI_STOPS = 5;
/** Stops of the control plane in this process. */
const IN_PROCESS_STOPS = 23;

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  cmd: string;
}

/** Every process on the machine, from /proc. */
function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    let cmd = "";
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
      cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the parenthesised command name: state, ppid, pgrp, ...
    const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out.push({ pid: Number(name), ppid: Number(ppid), pgid: Number(pgid), state, cmd });
  }
  return out;
}

/** The server's instance processes: its children (each one leads its own group), tsx's esbuild service and `except` aside. */
function instancesOf(serverPid: number, seen: Map<number, string>, except: ReadonlySet<number> = new Set()): void {
  for (const p of processes()) {
    // Not instances: tsx's esbuild service, and the `hotswap server` processes of the other lanes.
    if (p.ppid === serverPid && !except.has(p.pid) && !/esbuild|cli\/main\.ts/.test(p.cmd)) seen.set(p.pid, p.cmd.trim());
  }
}

/** Instance processes, or members of their process groups, that are still running (zombies count as gone). */
function survivors(instances: Map<number, string>): ProcInfo[] {
  return processes().filter((p) => p.state !== "Z" && (instances.has(p.pid) || instances.has(p.pgid)));
}

interface Lane {
  dataDir: string;
  key: string;
  /** Postgres and Redis for a lane on the servers (their connections must close too); unset: PGlite and in-memory state. */
  servers?: { DATABASE_URL: string; REDIS_URL: string };
}

/** A started control plane, as the test drives it. */
interface Target {
  url: string;
  /** The process whose children are its instances. */
  pid: number;
  /** Processes that were its children before it started (not instances). */
  before: ReadonlySet<number>;
  /** Ask it to stop; resolves with the exit code (0 for an in-process close). */
  stop(): Promise<number | null>;
  /** Give up on it (the test failed). */
  abandon(): Promise<void>;
  output(): string;
}

function laneEnv(lane: Lane): Record<string, string> {
  return {
    HOTSWAP_DATA_DIR: lane.dataDir,
    HOTSWAP_ADMIN_KEY: lane.key,
    HOST: "127.0.0.1",
    PORT: "0",
    HOTSWAP_SHUTDOWN_GRACE: String(GRACE_S),
    RUNNER_STEMS: "1",
    RUNNER_STEM_RUNTIMES: "nodejs20",
    LOG_LEVEL: "error",
    ...lane.servers,
  };
}

/** `hotswap server --embedded-runner` as a process, stopped by SIGTERM. */
async function bootCli(lane: Lane, first: boolean): Promise<Target> {
  const server: ServerProcess = spawnServer(laneEnv(lane));
  try {
    // The first boot creates the database; later ones reopen it.
    const [, url] = await waitForOutput(server, /serving on (http:\/\/\S+)/, first ? 60_000 : 30_000);
    return {
      url,
      pid: server.child.pid!,
      before: new Set(),
      stop: () => {
        server.child.kill("SIGTERM");
        return server.exited;
      },
      abandon: async () => {
        server.child.kill("SIGKILL");
        await server.exited;
      },
      output: server.output,
    };
  } catch (e) {
    server.child.kill("SIGKILL");
    throw e;
  }
}

/** The same control plane and embedded runner in this process, stopped by server.close(). */
async function bootInProcess(lane: Lane): Promise<Target> {
  const before = new Set(processes().filter((p) => p.ppid === process.pid).map((p) => p.pid));
  const { control, runner } = loadServerSettings(laneEnv(lane), { hostname: hostname() });
  const log = createLogger("silent");
  const server = await startServer(control, log, embeddedRunner(runner, log));
  return {
    url: server.url,
    pid: process.pid,
    before,
    stop: () => server.close().then(() => 0),
    abandon: async () => {},
    output: () => "",
  };
}

async function deployAll(url: string, key: string): Promise<void> {
  const api = apiClient(url, key);
  const fns: Array<[string, string, Record<string, unknown>]> = [
    ["busy", "node-sleep", { runtime: "nodejs20", handler: "index.handler", timeout: 30 }],
    ["one-at-a-time", "node-sleep", { runtime: "nodejs20", handler: "index.handler", timeout: 30, maxInstances: 1 }],
    ["hung", "node-sleep", { runtime: "nodejs20", handler: "index.handler", timeout: 900 }],
    ["custom", "provided-bash", { runtime: "provided", handler: "function.handler" }],
  ];
  for (const [name, fixture, settings] of fns) {
    const created = await api("POST", "/api/v1/functions", { name, ...settings });
    assert.equal(created.status, 201, created.text);
    const v = await api("POST", `/api/v1/functions/${name}/versions`, zipFixture(fixture), { "content-type": "application/zip" });
    assert.equal(v.status, 201, v.text);
  }
  // Its init outlasts any stop (top-level await), and one instance is provisioned: a shutdown
  // must not wait for a start (cold or provisioned) to finish initialising.
  const slow = await api("POST", "/api/v1/functions", { name: "slow-init", runtime: "nodejs20", handler: "index.handler", provisionedConcurrency: 1 });
  assert.equal(slow.status, 201, slow.text);
  const code = zipFiles({ "index.mjs": "await new Promise((r) => setTimeout(r, 600_000));\nexport const handler = async () => ({ ok: true });\n" });
  const sv = await api("POST", "/api/v1/functions/slow-init/versions", code, { "content-type": "application/zip" });
  assert.equal(sv.status, 201, sv.text);
}

/** Fire the mixed work without waiting for it; its connections die with the server. */
function fireWork(url: string, key: string, stop: number): void {
  const invoke = (name: string, event: unknown) =>
    fetch(`${url}/api/v1/functions/${name}/invoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(event),
    })
      .then((r) => r.arrayBuffer())
      .catch(() => undefined);
  void invoke("busy", { ms: 200 + (stop % 5) * 300 });
  void invoke("busy", { ms: 3_000 }); // outlives the grace period
  for (let i = 0; i < 4; i++) void invoke("one-at-a-time", { ms: 400 }); // three of them queue
  void invoke("hung", { ms: 3_600_000 });
  void invoke("slow-init", {});
  void invoke("custom", { stop });
  void invoke("custom", { again: stop });
}

interface StopResult {
  bootMs: number;
  ms: number;
  code: number | null;
  /** Instance processes seen during this boot. */
  instances: number;
  /** Of those (and their process groups), the ones still running after the server exited. */
  left: ProcInfo[];
  output: string;
}

async function stopUnderLoad(lane: Lane, stop: number, first: boolean, inProcess: boolean): Promise<StopResult> {
  const b0 = Date.now();
  const server = inProcess ? await bootInProcess(lane) : await bootCli(lane, first);
  const { url, pid, before } = server;
  const bootMs = Date.now() - b0;
  const instances = new Map<number, string>();
  if (first) await deployAll(url, lane.key);
  fireWork(url, lane.key, stop);
  // SIGTERM at a different point of the work each time: during the cold starts, or once they run.
  const delay = [0, 50, 150, 300, 600, 1000][stop % 6];
  const sampleUntil = Date.now() + delay;
  do {
    instancesOf(pid, instances, before);
    await new Promise((r) => setTimeout(r, 10));
  } while (Date.now() < sampleUntil);
  const t0 = Date.now();
  let done = false;
  const exited = server.stop().then((code) => {
    done = true;
    return code;
  });
  // Keep sampling until it exits: instances started during the shutdown must not survive either.
  const sampler = (async () => {
    while (!done && Date.now() - t0 < LIMIT_MS + 2000) {
      instancesOf(pid, instances, before);
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  const bound = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), LIMIT_MS + 2000).unref());
  const code = await Promise.race([exited, bound]);
  const ms = Date.now() - t0;
  await sampler;
  if (code === "timeout") {
    await server.abandon();
    for (const p of survivors(instances)) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    assert.fail(`stop ${stop}: still running ${ms} ms after it was asked to stop (limit ${LIMIT_MS} ms):\n${server.output()}`);
  }
  // A process killed just before the server exited may take a moment to disappear from /proc.
  let left = survivors(instances);
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    left = survivors(instances);
  }
  for (const p of left) {
    try {
      process.kill(p.pid, "SIGKILL"); // do not leak them into other tests; the assertion reports them
    } catch {
      // gone
    }
  }
  return { bootMs, ms, code, instances: instances.size, left, output: server.output() };
}

describe("hotswap server stops within its grace period under mixed work", { timeout: 170_000 }, () => {
  const total = CLI_LANES * CLI_STOPS + IN_PROCESS_STOPS;
  test(`${total} stops each end within grace + 5 s and leave no instance process`, async () => {
    // CLI lane 0 runs on the embedded stores (PGlite); the other lanes on Postgres and Redis when
    // they are up (under CI=true they must be): their connections are among what a shutdown must
    // close. Without them every lane is embedded.
    const servers = (await serviceSkipReason("postgres", TEST_DATABASE_URL)) ?? (await serviceSkipReason("redis", TEST_REDIS_URL));
    const databases: TestDatabase[] = [];
    const lanes: Array<Lane & { name: string; stops: number; inProcess: boolean }> = [];
    for (let i = 0; i <= CLI_LANES; i++) {
      const inProcess = i === CLI_LANES;
      const lane: Lane = { dataDir: await mkdtemp(join(tmpdir(), "hs-shutdown-")), key: generateApiKey().key };
      if (i > 0 && servers === undefined) {
        const db = await createTestDatabase();
        databases.push(db);
        lane.servers = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL };
      }
      const stores = lane.servers ? "postgres+redis" : "embedded";
      lanes.push({ ...lane, name: inProcess ? `in-process (${stores})` : `hotswap server ${i} (${stores})`, stops: inProcess ? IN_PROCESS_STOPS : CLI_STOPS, inProcess });
    }
    const times: number[] = [];
    let instancesSeen = 0;
    try {
      await Promise.all(
        lanes.map(async (lane) => {
          for (let stop = 0; stop < lane.stops; stop++) {
            const what = `${lane.name} stop ${stop}`;
            const r = await stopUnderLoad(lane, stop, stop === 0, lane.inProcess);
            times.push(r.ms);
            instancesSeen += r.instances;
            process.stdout.write(`# ${what}: booted in ${r.bootMs} ms, stopped in ${r.ms} ms, exit ${r.code}, ${r.instances} instances\n`);
            assert.ok(r.ms <= LIMIT_MS, `${what} took ${r.ms} ms (limit ${LIMIT_MS} ms)`);
            assert.deepEqual(
              r.left.map((p) => `${p.pid} (group ${p.pgid}): ${p.cmd}`),
              [],
              `${what}: instance processes outlived the server:\n${r.output}`,
            );
            // A clean shutdown exits 0; one the deadline had to force exits 1 and says what was open.
            if (r.code !== 0) {
              assert.equal(r.code, 1, `${what}: exit code ${r.code}:\n${r.output}`);
              assert.match(r.output, /shutdown forced while .*; still open: /, what);
            }
            assert.equal(r.code, 0, `${what}: the shutdown had to be forced (exit ${r.code}):\n${r.output}`);
          }
        }),
      );
    } finally {
      for (const lane of lanes) await rm(lane.dataDir, { recursive: true, force: true });
      for (const db of databases) await db.drop().catch(() => {});
    }
    assert.equal(times.length, total);
    assert.ok(total >= 30, "30 stops at least");
    assert.ok(instancesSeen >= total, `instances ran during the stops (${instancesSeen} seen)`);
    times.sort((a, b) => a - b);
    process.stdout.write(`# shutdown times (ms): median ${times[times.length >> 1]}, max ${times[times.length - 1]} over ${times.length} stops\n`);
  });
});
