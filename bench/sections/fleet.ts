/**
 * The runner fleet: `hotswap server` (fleet mode) forwarding to a `hotswap runner` process.
 *  - distributed warm throughput (control plane → runner process → runtime), as a ratio to the bare
 *    Node server of this run (fast channel, instanceConcurrency 1 and 16, over the fleet channel;
 *    ic 16 again with one HTTP request per invocation, RUNNER_FLEET_CHANNEL=off, for comparison);
 *  - cold start p50/p90/p99, fresh versus stem, for Node and Python on the process backend and for
 *    Node on the docker backend (when Docker and the runtime images are there).
 * Needs Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379); the database is the embedded one.
 * One runner at a time, so the figures are not a contest between processes on a small machine.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { spawnSync } from "node:child_process";
import type { BenchContext, BenchTable } from "../section.ts";
import { BODY, PROFILE_FLAGS, ROOT, THROUGHPUT_HEAD, apiClient, percentile, sequentialLatency, startProcess, throughputRow, type Proc } from "../support.ts";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { HEADER_CLUSTER_SECRET } from "../../protocol/fleet.ts";
import { waitFor } from "../../tests/support/wait-for.ts";
import { zipDir } from "../../tests/support/zip.ts";
import pkg from "../../package.json" with { type: "json" };

/** Runtimes whose cold starts are measured, with the benchmark handler's name in each. */
const RUNTIMES: Array<[string, string]> = [
  ["nodejs20", "index.handler"],
  ["python3.11", "handler.handler"],
];
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const CLI = [...PROFILE_FLAGS, "--import", "tsx", "cli/main.ts"];

export interface FleetBench {
  url: string;
  /** The control plane's process id (for CPU readings). */
  pid: number;
  auth: Record<string, string>;
  api(method: string, path: string, body?: unknown, type?: string): Promise<any>;
  startRunner(env: Record<string, string>): Promise<Proc & { url: string }>;
  stopRunner(r: Proc): Promise<void>;
  runnerStatus(r: { url: string }): Promise<any>;
  stop(): Promise<void>;
}

export async function fleetSection(ctx: BenchContext): Promise<BenchTable[]> {
  if (!(await reachable(REDIS_URL))) {
    return [{ title: "Runner fleet (skipped)", head: ["reason"], rows: [[`Redis is not reachable at ${REDIS_URL}; start it or set BENCH_REDIS_URL`]] }];
  }
  const coldSamples = Number(process.env.BENCH_COLD_SAMPLES ?? 20);
  ctx.progress("fleet: starting a control plane in fleet mode");
  const fleet = await startFleet();
  const zip = zipDir(join(ROOT, "bench/handler"));
  try {
    // ---- warm throughput through one runner process: the fleet channel (the default), then one HTTP request per invocation ----
    let runner = await fleet.startRunner({ RUNNER_STEMS: "0" });
    const throughput: string[][] = [];
    for (const v of [
      { name: "fleet-ic1", ic: 1, maxInstances: 4 },
      { name: "fleet-ic16", ic: 16, maxInstances: 1 },
    ]) {
      await fleet.api("POST", "/api/v1/functions", { name: v.name, runtime: "nodejs20", handler: "index.handler", instanceConcurrency: v.ic, maxInstances: v.maxInstances });
      await fleet.api("POST", `/api/v1/functions/${v.name}/versions`, zip, "application/zip");
      ctx.progress(`fleet: warm throughput ${v.name}`);
      const r = await ctx.paired(`${fleet.url}/api/v1/functions/${v.name}/invoke`, fleet.auth);
      throughput.push(throughputRow(`control plane → runner process → runtime (fleet channel, fast channel)`, v.ic, r));
    }
    ctx.progress("fleet: added latency, sequential requests on one connection");
    const n = Number(process.env.BENCH_LATENCY_SAMPLES ?? 2000);
    const bareLat = await sequentialLatency(ctx.bareUrl, {}, n);
    const fleetLat = await sequentialLatency(`${fleet.url}/api/v1/functions/fleet-ic1/invoke`, fleet.auth, n);
    const q = (t: number[], pct: number) => percentile(t, pct).toFixed(3);
    const latency = [
      ["bare Node server", q(bareLat, 50), q(bareLat, 99), "-", "-"],
      ["control plane → runner process → runtime", q(fleetLat, 50), q(fleetLat, 99), (percentile(fleetLat, 50) - percentile(bareLat, 50)).toFixed(3), (percentile(fleetLat, 99) - percentile(bareLat, 99)).toFixed(3)],
    ];
    await fleet.stopRunner(runner);
    ctx.progress("fleet: warm throughput fleet-ic16 with one HTTP request per invocation (RUNNER_FLEET_CHANNEL=off)");
    runner = await fleet.startRunner({ RUNNER_STEMS: "0", RUNNER_FLEET_CHANNEL: "off" });
    try {
      const r = await ctx.paired(`${fleet.url}/api/v1/functions/fleet-ic16/invoke`, fleet.auth);
      throughput.push(throughputRow(`control plane → runner process → runtime (HTTP request per invocation, fast channel)`, 16, r));
    } finally {
      await fleet.stopRunner(runner);
    }

    // ---- cold starts, fresh versus stem, per backend ----
    const cold: string[][] = [];
    const backends: Array<{ backend: "process" | "docker"; skip?: string }> = [{ backend: "process" }, { backend: "docker", skip: dockerSkipReason() }];
    for (const { backend, skip } of backends) {
      if (skip) {
        cold.push([backend, "nodejs20", "fresh", "-", "-", "-", `skipped: ${skip}`], [backend, "nodejs20", "stem", "-", "-", "-", `skipped: ${skip}`]);
        continue;
      }
      for (const [runtime, handler] of backend === "process" ? RUNTIMES : RUNTIMES.slice(0, 1)) {
        for (const start of ["fresh", "stem"] as const) {
          ctx.progress(`fleet: cold starts on ${backend}, ${runtime}, ${start}, ${coldSamples} samples`);
          runner = await fleet.startRunner({
            RUNNER_BACKEND: backend,
            RUNNER_STEMS: start === "stem" ? "1" : "0",
            RUNNER_STEM_RUNTIMES: runtime,
            // Host networking, as the docker section and the tests use: a dockerd without a bridge works too.
            ...(backend === "docker" ? { RUNNER_DOCKER_NETWORK: "host" } : {}),
          });
          try {
            const name = `cold-${backend}-${runtime.replace(/\W/g, "")}-${start}`;
            await fleet.api("POST", "/api/v1/functions", { name, runtime, handler, maxInstances: 1 });
            const times = await coldStarts(fleet, runner, name, runtime, zip, coldSamples, start);
            cold.push([backend, runtime, start, percentile(times, 50).toFixed(1), percentile(times, 90).toFixed(1), percentile(times, 99).toFixed(1), ""]);
          } finally {
            await fleet.stopRunner(runner);
          }
        }
      }
    }
    return [
      {
        title: "Runner fleet: distributed warm throughput (ratio to the bare Node server)",
        head: THROUGHPUT_HEAD,
        rows: throughput,
      },
      { title: `Runner fleet: latency, sequential requests on one keep-alive connection (n=${n})`, head: ["target", "p50 ms", "p99 ms", "added p50 ms", "added p99 ms"], rows: latency },
      { title: `Runner fleet: cold start through the control plane, fresh vs stem (new version per sample, n=${coldSamples})`, head: ["backend", "runtime", "start", "p50 ms", "p90 ms", "p99 ms", "note"], rows: cold },
    ];
  } finally {
    await fleet.stop();
  }
}

/** n cold starts of new versions of `name`; for stems, each waits until the runner has a stem ready and checks one served it. */
async function coldStarts(f: FleetBench, runner: { url: string }, name: string, runtime: string, zip: Buffer, n: number, start: "fresh" | "stem"): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    if (start === "stem") await waitFor(`a ${runtime} stem on the runner`, async () => ((await f.runnerStatus(runner)).stems[runtime] ?? 0) >= 1, { timeoutMs: 60_000 });
    const { version } = await f.api("POST", `/api/v1/functions/${name}/versions`, zip, "application/zip");
    const t0 = performance.now();
    const res = await fetch(`${f.url}/api/v1/functions/${name}/invoke?qualifier=${version}`, { method: "POST", headers: f.auth, body: BODY });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    const got = res.headers.get("x-hotswap-start");
    if (res.status !== 200 || got !== start) throw new Error(`${name} v${version}: expected a ${start} start with 200, got ${res.status} ${got}`);
    times.push(ms);
  }
  return times.sort((a, b) => a - b);
}

export async function startFleet(): Promise<FleetBench> {
  const dataDir = await mkdtemp(join(tmpdir(), "hs-bench-fleet-"));
  const { key } = generateApiKey();
  const secret = randomBytes(24).toString("hex");
  const prefix = `hsbench:${randomBytes(4).toString("hex")}:`;
  const common = { REDIS_URL, HOTSWAP_REDIS_PREFIX: prefix, HOTSWAP_CLUSTER_SECRET: secret, LOG_LEVEL: "warn" };
  const cp = await startProcess([...CLI, "server"], { ...common, PORT: "0", HOTSWAP_DATA_DIR: dataDir, HOTSWAP_ADMIN_KEY: key }, /serving on (http:\/\/\S+)/);
  const url = cp.match[1]!;
  const auth = { authorization: `Bearer ${key}` };
  let runners = 0;
  const api = apiClient(url, auth);
  return {
    url,
    pid: cp.child.pid!,
    auth,
    api,
    async startRunner(env) {
      const id = `bench-${++runners}`;
      const proc = await startProcess(
        [...CLI, "runner"],
        { ...common, RUNNER_ID: id, RUNNER_LISTEN: "127.0.0.1:0", HOTSWAP_DATA_DIR: join(dataDir, id), HOTSWAP_CODE_DIR: join(dataDir, "code"), ...env },
        /is serving on (http:\/\/\S+)/,
      );
      await waitFor(`runner ${id} to be ready`, async () => ((await api("GET", "/api/v1/runners")).runners as Array<{ id: string; status: string }>).some((r) => r.id === id && r.status === "ready"), { timeoutMs: 15_000 });
      return Object.assign(proc, { url: proc.match[1]! });
    },
    async stopRunner(r) {
      await r.stop();
    },
    async runnerStatus(r) {
      return (await fetch(`${r.url}/v1/status`, { headers: { [HEADER_CLUSTER_SECRET]: secret } })).json();
    },
    async stop() {
      await cp.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1500, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** Why the docker backend cannot be measured here, or undefined when it can. */
function dockerSkipReason(): string | undefined {
  const info = spawnSync("docker", ["image", "inspect", "--format", "{{.Id}}", `hotswap/runtime-nodejs20:${pkg.version}`], { encoding: "utf8", timeout: 10_000 });
  if (info.error) return `docker CLI unavailable (${info.error.message})`;
  if (info.status !== 0) return `no Docker engine or no hotswap/runtime-nodejs20 image (npm run images): ${info.stderr.trim().split("\n")[0]}`;
  return undefined;
}
