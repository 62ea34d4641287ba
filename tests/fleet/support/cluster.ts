/**
 * A HotSwap cluster for fleet tests, on the real Postgres and Redis: control planes in this process
 * (`hotswap server` in fleet mode, sharing one database) and runners as child processes
 * (`hotswap runner`), so a test can SIGTERM or kill -9 one. Everything listens on 127.0.0.1, uses a
 * unique Redis key prefix and a fresh database, and is torn down by close().
 * Code moves through a code directory shared by the control planes and the runners (the same-host
 * layout of `hotswap server` + `hotswap runner` on one machine).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadConfig } from "../../../platform/src/config.ts";
import { createLogger } from "../../../shared/logger.ts";
import { startServer, type RunningServer } from "../../../platform/src/server.ts";
import { generateApiKey } from "../../../platform/src/auth/api-key.ts";
import { HEADER_CLUSTER_SECRET } from "../../../protocol/fleet.ts";
import { TEST_REDIS_URL, createTestDatabase, sharedServersEnv, uniquePrefix } from "../../support/services.ts";
import { apiClient, serversSkipReason, type ApiResponse } from "../../support/platform.ts";
import { waitFor } from "../../support/wait-for.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? "silent";

export interface ControlPlane {
  url: string;
  /** Admin API key. */
  key: string;
  server: RunningServer;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
}

export interface RunnerProc {
  id: string;
  url: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (null after a signal). */
  exited: Promise<number | null>;
  /** Output so far (for failure messages). */
  output(): string;
  /** GET /v1/status on the runner itself (its heartbeat as it would send it now). */
  status(): Promise<any>;
}

export interface Cluster {
  key: string;
  secret: string;
  /** HOTSWAP_REDIS_PREFIX of every process of the cluster (to write to its Redis keys as an outsider would). */
  redisPrefix: string;
  controlPlanes: ControlPlane[];
  cp: ControlPlane;
  runners: RunnerProc[];
  startRunner(id: string, env?: Record<string, string>): Promise<RunnerProc>;
  /** SIGTERM (drain) and wait for the exit code. */
  stopRunner(r: RunnerProc): Promise<number | null>;
  /** Wait until every control plane lists exactly these runner ids as ready. */
  waitForRunners(ids: string[], timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  runners: number;
  controlPlanes?: number;
  /** Extra environment of every runner. */
  runnerEnv?: Record<string, string>;
  /** Extra environment of every control plane (read by its config module). */
  controlPlaneEnv?: Record<string, string>;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const dataDir = await mkdtemp(join(tmpdir(), "hs-fleet-"));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const prefix = uniquePrefix("fleet");
  const secret = randomBytes(24).toString("hex");
  const { key } = generateApiKey();
  const runners: RunnerProc[] = [];
  const controlPlanes: ControlPlane[] = [];

  const close = async () => {
    await Promise.all(runners.map((r) => stopProcess(r)));
    for (const cp of controlPlanes.reverse()) await cp.server.close().catch(() => {});
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };

  try {
    for (let i = 0; i < (opts.controlPlanes ?? 1); i++) {
      const config = loadConfig({
        ...sharedServersEnv({ dataDir, adminKey: key, databaseUrl: db.url, redisPrefix: prefix }),
        HOTSWAP_CLUSTER_SECRET: secret,
        LOG_LEVEL,
        ...opts.controlPlaneEnv,
      });
      const server = await startServer(config, createLogger(config.logLevel), { runners: "fleet" });
      controlPlanes.push({ url: server.url, key, server, api: apiClient(server.url, key) });
    }

    const startRunner = async (id: string, env: Record<string, string> = {}): Promise<RunnerProc> => {
      const runnerDir = join(dataDir, `runner-${id}-${randomBytes(3).toString("hex")}`);
      const r = await spawnRunner(id, {
        REDIS_URL: TEST_REDIS_URL,
        HOTSWAP_REDIS_PREFIX: prefix,
        HOTSWAP_CLUSTER_SECRET: secret,
        HOTSWAP_CONTROL_PLANE_URL: controlPlanes[0].url,
        RUNNER_ID: id,
        RUNNER_LISTEN: "127.0.0.1:0",
        RUNNER_MAX_INSTANCES: "12",
        RUNNER_MEMORY_MB: "4096",
        RUNNER_STEMS: "1",
        RUNNER_STEM_RUNTIMES: "nodejs20",
        HOTSWAP_DATA_DIR: runnerDir,
        HOTSWAP_CODE_DIR: join(dataDir, "code"),
        HOTSWAP_SHUTDOWN_GRACE: "20",
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
        ...opts.runnerEnv,
        ...env,
      }, secret);
      runners.push(r);
      return r;
    };

    const cluster: Cluster = {
      key,
      secret,
      redisPrefix: prefix,
      controlPlanes,
      cp: controlPlanes[0],
      runners,
      startRunner,
      async stopRunner(r) {
        r.child.kill("SIGTERM");
        return r.exited;
      },
      async waitForRunners(ids, timeoutMs = 15_000) {
        const want = [...ids].sort().join(",");
        const deadline = Date.now() + timeoutMs;
        let last = "";
        for (;;) {
          const lists = await Promise.all(controlPlanes.map((cp) => cp.api("GET", "/api/v1/runners")));
          const seen = lists.map((l) => (l.json.runners as Array<{ id: string; status: string }>).filter((r) => r.status === "ready").map((r) => r.id).sort().join(","));
          if (seen.every((s) => s === want)) return;
          last = seen.join(" | ");
          if (Date.now() > deadline) throw new Error(`runners [${want}] not all ready within ${timeoutMs} ms; control planes see [${last}]`);
          await sleep(100);
        }
      },
      close,
    };
    await Promise.all(Array.from({ length: opts.runners }, (_, i) => startRunner(`r${i + 1}`)));
    await cluster.waitForRunners(runners.map((r) => r.id));
    return cluster;
  } catch (e) {
    await close();
    throw e;
  }
}

/** Skip reason for fleet tests (services down outside CI); throws under CI. */
export const fleetSkipReason = serversSkipReason;


/** Start `hotswap runner` with `env`; resolves once it serves. */
export function spawnRunner(id: string, env: Record<string, string>, secret: string): Promise<RunnerProc> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "runner"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", TMPDIR: process.env.TMPDIR ?? "/tmp", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`runner ${id} did not start within 30 s:\n${out}`));
    }, 30_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d;
      const m = /is serving on (https?:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const url = m[1]!;
      resolve({
        id,
        url,
        pid: child.pid!,
        child,
        exited,
        output: () => out,
        status: async () => (await fetch(`${url}/v1/status`, { headers: { [HEADER_CLUSTER_SECRET]: secret } })).json(),
      });
    });
    child.stderr!.on("data", (d: Buffer) => {
      if (out.length < 200_000) out += d;
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`runner ${id} exited (${code}) before serving:\n${out}`));
    });
  });
}

async function stopProcess(r: RunnerProc): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  r.child.kill("SIGTERM");
  const killed = setTimeout(() => r.child.kill("SIGKILL"), 15_000);
  await r.exited;
  clearTimeout(killed);
}

/** Whether a process id is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Poll `fn` until it returns a truthy value; throws with `what` after timeoutMs (the shared waitFor). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  return (await waitFor(what, fn, { timeoutMs, intervalMs: everyMs })) as T;
}
