/**
 * A shutdown always ends, in fleet mode too (issue 14, finding 8): `hotswap server` without
 * --embedded-runner and a `hotswap runner` process, stopped with SIGTERM while invocations are in
 * flight on the runner (handlers that outlive the grace period). Two rounds, the server first and
 * then the runner first: each of the four stops must end within HOTSWAP_SHUTDOWN_GRACE + 5 s with
 * exit code 0 (a drain that stops its instances at the end of the grace period is a clean one; 1
 * would mean the hard deadline forced it), and no instance process of the runner may be left.
 * Needs Postgres and Redis.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { spawnRunner, type RunnerProc } from "../fleet/support/cluster.ts";
import { deployFunction, invokeFunction } from "../support/deploy.ts";
import { waitFor } from "../support/wait-for.ts";
import { apiClient, serversSkipReason } from "../support/platform.ts";
import { createTestDatabase, TEST_REDIS_URL, uniquePrefix } from "../support/services.ts";
import type { ServerProcess } from "../support/cli.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const GRACE_S = 2;
const LIMIT_MS = (GRACE_S + 5) * 1000;

const skip = await serversSkipReason();

/** Live (non-zombie) processes whose parent is `pid` or whose process group is one of `groups`. */
function children(pid: number, groups: ReadonlySet<number> = new Set()): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z") continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      if ((Number(ppid) === pid && !/esbuild/.test(cmd)) || groups.has(Number(pgid))) out.set(Number(name), cmd);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function spawnFleetServer(env: Record<string, string>): ServerProcess {
  let out = "";
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "server"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return { child, output: () => out, exited: new Promise((r) => child.once("exit", (code) => r(code))) };
}

/** SIGTERM and the exit code, or "timeout" when it is still running past the limit. */
async function stopWithin(child: ServerProcess["child"], exited: Promise<number | null>): Promise<{ code: number | null | "timeout"; ms: number }> {
  const t0 = Date.now();
  child.kill("SIGTERM");
  const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), LIMIT_MS + 2000).unref())]);
  return { code, ms: Date.now() - t0 };
}

describe("fleet mode: hotswap server and hotswap runner stop within their grace period under in-flight work", { skip, timeout: 240_000 }, () => {
  test("server first, then runner first: four stops, each within grace + 5 s, exit 0, no instance left", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hs-fleet-stop-"));
    const db = await createTestDatabase();
    const { key } = generateApiKey();
    const secret = randomBytes(16).toString("hex");
    const shared = {
      REDIS_URL: TEST_REDIS_URL,
      HOTSWAP_REDIS_PREFIX: uniquePrefix("fleet-stop"),
      HOTSWAP_CLUSTER_SECRET: secret,
      HOTSWAP_SHUTDOWN_GRACE: String(GRACE_S),
    };
    const servers: ServerProcess[] = [];
    const runners: RunnerProc[] = [];
    try {
      for (const [round, first] of [[1, "server"], [2, "runner"]] as const) {
        const what = `round ${round} (${first} first)`;
        const server = spawnFleetServer({ ...shared, DATABASE_URL: db.url, HOTSWAP_DATA_DIR: join(dir, "data"), HOTSWAP_ADMIN_KEY: key, HOTSWAP_SECRET_KEY: "k".repeat(40), HOST: "127.0.0.1", PORT: "0" });
        servers.push(server);
        const url = (await waitFor(`${what}: the server serves`, () => server.output().match(/is serving on (http:\/\/\S+)/)?.[1], { timeoutMs: 60_000, intervalMs: 50, show: () => server.output() }))!;
        const runner = await spawnRunner(`stop-${round}`, {
          ...shared,
          RUNNER_ID: `stop-${round}-${randomBytes(3).toString("hex")}`,
          RUNNER_LISTEN: "127.0.0.1:0",
          RUNNER_STEMS: "0",
          HOTSWAP_DATA_DIR: join(dir, `runner-${round}`),
          HOTSWAP_CODE_DIR: join(dir, "data", "code"),
          LOG_LEVEL: "warn",
        }, secret);
        runners.push(runner);
        const target = { url, key };
        const api = apiClient(url, key);
        await waitFor(`${what}: the runner is ready`, async () => ((await api("GET", "/api/v1/runners")).json?.runners ?? []).some((r: { status: string }) => r.status === "ready"), { timeoutMs: 20_000, intervalMs: 100 });
        if (round === 1) await deployFunction(target, { name: "sleeper", code: { fixture: "node-sleep" }, timeout: 60 });

        // Handlers that outlive the grace period, in flight on the runner.
        const inflight = Array.from({ length: 3 }, () => invokeFunction(target, "sleeper", { ms: 30_000 }, { timeoutMs: 60_000 }));
        const instances = await waitFor(`${what}: three instances run`, () => {
          const c = children(runner.pid);
          return c.size >= 3 ? c : undefined;
        }, { timeoutMs: 30_000, intervalMs: 50 });
        const groups = new Set(instances.keys());

        const order = first === "server" ? ([["server", server.child, server.exited, server.output], ["runner", runner.child, runner.exited, runner.output]] as const) : ([["runner", runner.child, runner.exited, runner.output], ["server", server.child, server.exited, server.output]] as const);
        for (const [name, child, exited, output] of order) {
          const { code, ms } = await stopWithin(child, exited);
          assert.notEqual(code, "timeout", `${what}: ${name} still running ${ms} ms after SIGTERM:\n${output()}`);
          assert.ok(ms <= LIMIT_MS, `${what}: ${name} took ${ms} ms (limit ${LIMIT_MS} ms)`);
          assert.equal(code, 0, `${what}: ${name} exits 0 after a drain that ended in time:\n${output()}`);
        }
        await Promise.allSettled(inflight);
        const left = children(runner.pid, groups);
        for (const pid of instances.keys()) {
          try {
            process.kill(pid, 0);
            left.set(pid, instances.get(pid)!);
          } catch {
            // gone, as it should be
          }
        }
        assert.deepEqual([...left.values()], [], `${what}: no instance process outlives its runner`);
      }
    } finally {
      for (const p of [...servers.map((s) => ({ child: s.child, exited: s.exited })), ...runners]) {
        if (p.child.exitCode === null && p.child.signalCode === null) {
          p.child.kill("SIGKILL");
          await p.exited;
        }
      }
      await db.drop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    }
  });
});
