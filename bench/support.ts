/** Shared benchmark helpers: child processes that announce readiness, bounded autocannon runs, percentiles, a platform starter. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { generateApiKey } from "../platform/src/auth/api-key.ts";

export const ROOT = new URL("..", import.meta.url).pathname;
export const BODY = JSON.stringify({ n: 1 });
/** BENCH_CPU_PROF_DIR: node flags that write a V8 CPU profile of each platform and runner process the bench starts into it. */
export const PROFILE_FLAGS = process.env.BENCH_CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];

export interface Proc {
  child: ChildProcess;
  match: RegExpMatchArray;
  stop(): Promise<void>;
}

/** BENCH_READY_TIMEOUT (s, default 30): how long a started process may take to be ready (a loaded machine starts slowly). */
const READY_TIMEOUT_S = Number(process.env.BENCH_READY_TIMEOUT ?? 30);

/** Spawn `node <args>` and resolve once its output matches `ready` (BENCH_READY_TIMEOUT). */
export function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`not ready in ${READY_TIMEOUT_S} s: ${args.join(" ")}\n${out}`));
    }, READY_TIMEOUT_S * 1000);
    const onData = (d: Buffer) => {
      out += d;
      const m = out.match(ready);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.stdout!.resume();
      resolve({
        child,
        match: m,
        stop: () =>
          new Promise((r) => {
            if (child.exitCode !== null || child.signalCode !== null) return r();
            child.once("exit", () => r());
            child.kill("SIGTERM");
          }),
      });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d) => {
      if (out.length < 100_000) out += d;
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${out}`));
    });
  });
}

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Requests answered in the warm-up and the measured run together. */
  requests: number;
}

/** A warm-up run, then a measured autocannon run of `duration` seconds. */
export async function load(url: string, headers: Record<string, string>, connections: number, duration: number): Promise<Load> {
  const run = (d: number) =>
    autocannon({ url, method: "POST", body: BODY, headers: { "content-type": "application/json", ...headers }, connections, duration: d });
  const warm = await run(Math.min(2, duration));
  const r = await run(duration);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, requests: warm.requests.total + r.requests.total };
}

export interface PairedLoad extends Load {
  /** Median over the rounds of (target req/s ÷ bare req/s measured just before it). */
  ratio: number;
  /** Each round's ratio, in order. */
  ratios: number[];
  /** The bare server's req/s in the median round. */
  bareRps: number;
}

/**
 * Throughput of `url` as a ratio to the bare server, robust to a shared, noisy machine: `rounds`
 * times, the bare server and then the target are measured back to back (each with its warm-up),
 * and the ratio quoted is the median of the rounds' ratios. req/s, p50 and p99 are the median
 * round's; errors are summed over all rounds.
 */
export async function pairedLoad(
  bareUrl: string,
  url: string,
  headers: Record<string, string>,
  connections: number,
  duration: number,
  rounds: number,
): Promise<PairedLoad> {
  const runs: Array<{ bare: Load; target: Load; ratio: number }> = [];
  for (let i = 0; i < rounds; i++) {
    const bare = await load(bareUrl, {}, connections, duration);
    const target = await load(url, headers, connections, duration);
    runs.push({ bare, target, ratio: bare.rps > 0 ? target.rps / bare.rps : 0 });
  }
  const ratios = runs.map((r) => r.ratio);
  const median = [...runs].sort((a, b) => a.ratio - b.ratio)[Math.floor(runs.length / 2)]!;
  return {
    ...median.target,
    errors: runs.reduce((n, r) => n + r.target.errors, 0),
    ratio: median.ratio,
    ratios,
    bareRps: median.bare.rps,
  };
}

/** Columns of a warm-throughput table row built by throughputRow. */
export const THROUGHPUT_HEAD = ["target", "concurrency", "req/s", "bare req/s", "× bare (median)", "each round", "p50 ms", "p99 ms", "errors"];

export function throughputRow(target: string, ic: number, r: PairedLoad): string[] {
  return [
    target,
    `ic=${ic}`,
    String(Math.round(r.rps)),
    String(Math.round(r.bareRps)),
    r.ratio.toFixed(2),
    r.ratios.map((x) => x.toFixed(2)).join(" "),
    String(r.p50),
    String(r.p99),
    String(r.errors),
  ];
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * CPU time (user + system, ms) used so far by process `pid` and every process below it, read from
 * /proc (Linux). A process that exited is no longer counted, so take both readings of a difference
 * while the same processes run (warm instances). 0 where /proc is missing.
 */
export async function treeCpuMs(pid: number): Promise<number> {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    try {
      const stat = await readFile(`/proc/${p}/stat`, "utf8");
      // Fields after the ")" that closes the command name: utime and stime are the 12th and 13th.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(f[11]) + Number(f[12])) * tick;
      const children = await readFile(`/proc/${p}/task/${p}/children`, "utf8");
      for (const c of children.split(" ")) if (c) stack.push(Number(c));
    } catch {
      // gone, or no /proc
    }
  }
  return total;
}

/**
 * A load run with the CPU it cost per request (µs): in the server's process tree (control plane
 * and its instances, or the bare server) and in this process (autocannon). On a shared machine
 * this moves far less than req/s, which swings with whatever else runs.
 */
export async function loadWithCpu(url: string, headers: Record<string, string>, pid: number, connections: number, duration: number): Promise<Load & { serverUs: number; loadgenUs: number }> {
  const s0 = await treeCpuMs(pid);
  const c0 = process.cpuUsage();
  const r = await load(url, headers, connections, duration);
  const c = process.cpuUsage(c0);
  const s = (await treeCpuMs(pid)) - s0;
  return { ...r, serverUs: (s * 1000) / r.requests, loadgenUs: (c.user + c.system) / r.requests };
}

export interface BenchPlatform {
  url: string;
  /** The control plane's process id. */
  pid: number;
  auth: Record<string, string>;
  api(method: string, path: string, body?: unknown, type?: string): Promise<any>;
  stop(): Promise<void>;
}

/** Calls the management API at `url`: JSON bodies (or raw Buffers as `type`), throws on any status >= 300. */
export function apiClient(url: string, auth: Record<string, string>): BenchPlatform["api"] {
  return async (method, path, body, type = "application/json") => {
    const res = await fetch(url + path, {
      method,
      headers: { ...auth, "content-type": type },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json().catch(() => undefined);
  };
}

/**
 * Start `hotswap server` as a child process on a fresh data dir with a known admin key. `cli` is
 * this checkout's by default (bench/compare.ts passes another checkout's).
 */
export async function startPlatform(env: Record<string, string> = {}, cli = "cli/main.ts"): Promise<BenchPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), "hs-bench-"));
  const { key } = generateApiKey();
  const proc = await startProcess(
    [...PROFILE_FLAGS, "--import", "tsx", cli, "server", "--embedded-runner"],
    { PORT: "0", HOTSWAP_DATA_DIR: dataDir, HOTSWAP_ADMIN_KEY: key, LOG_LEVEL: "warn", ...env },
    /serving on (http:\/\/\S+)/,
  );
  const url = proc.match[1]!;
  const auth = { authorization: `Bearer ${key}` };
  return {
    url,
    pid: proc.child.pid!,
    auth,
    api: apiClient(url, auth),
    async stop() {
      await proc.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Publish a new version and time its first (cold) invocation, n times. Returns sorted client-observed ms. */
export async function coldStarts(p: BenchPlatform, name: string, zip: Buffer, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    // Every new version is a new pool: its first invocation always starts an instance.
    const { version } = await p.api("POST", `/api/v1/functions/${name}/versions`, zip, "application/zip");
    const t0 = performance.now();
    const res = await fetch(`${p.url}/api/v1/functions/${name}/invoke?qualifier=${version}`, { method: "POST", headers: p.auth, body: BODY });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (res.status !== 200 || res.headers.get("x-hotswap-cold-start") !== "true") throw new Error(`${name} v${version}: expected a cold 200, got ${res.status}`);
    times.push(ms);
  }
  return times.sort((a, b) => a - b);
}

/**
 * Sequential request latency with sub-millisecond resolution (autocannon reports whole ms):
 * `n` POSTs one after another over one keep-alive connection. Returns sorted ms.
 */
export async function sequentialLatency(url: string, headers: Record<string, string>, n: number): Promise<number[]> {
  const { Agent, request } = await import("undici");
  const dispatcher = new Agent({ connections: 1, pipelining: 1 });
  const times: number[] = [];
  try {
    for (let i = 0; i < n + 50; i++) {
      const t0 = performance.now();
      const res = await request(url, { method: "POST", body: BODY, headers: { "content-type": "application/json", ...headers }, dispatcher });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`${url}: status ${res.statusCode}`);
      if (i >= 50) times.push(performance.now() - t0); // the first 50 warm up JIT and the instance
    }
  } finally {
    await dispatcher.close();
  }
  return times.sort((a, b) => a - b);
}

export interface WarmVariant {
  name: string;
  protocol: "fast" | "runtime-api";
  /** instanceConcurrency: 1 gets a few instances (one invocation each); >1 one instance running that many at once. */
  ic: number;
}

/** Create the benchmark handler as function `v.name` with the variant's protocol and concurrency, and publish it. */
export async function deployWarmVariant(p: BenchPlatform, v: WarmVariant, zip: Buffer): Promise<void> {
  await p.api("POST", "/api/v1/functions", {
    name: v.name,
    runtime: "nodejs20",
    handler: "index.handler",
    protocol: v.protocol,
    instanceConcurrency: v.ic,
    maxInstances: v.ic === 1 ? 4 : 1,
  });
  await p.api("POST", `/api/v1/functions/${v.name}/versions`, zip, "application/zip");
}
