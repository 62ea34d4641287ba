/**
 * `npm run bench`: HotSwap's benchmark. Bounded (a few seconds per measurement), loopback only,
 * every figure measured in this run. Throughput is quoted as a ratio to a bare Node HTTP server
 * running the same handler (bench/bare-server.mjs), measured in the same run, because the
 * machine is shared and absolute numbers drift.
 *
 * Env: BENCH_DURATION (s per throughput run, default 8), BENCH_CONNECTIONS (default 32),
 *      BENCH_COLD_SAMPLES (default 20).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { generateApiKey } from "../platform/src/auth/api-key.ts";
import { zipDir } from "../tests/support/zip.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const COLD_SAMPLES = Number(process.env.BENCH_COLD_SAMPLES ?? 20);
const BODY = JSON.stringify({ n: 1 });

const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

interface Proc {
  child: ChildProcess;
  stop(): Promise<void>;
}

function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<Proc & { match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => reject(new Error(`not ready in 30 s: ${args.join(" ")}\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({
          child,
          match: m,
          stop: () =>
            new Promise((r) => {
              if (child.exitCode !== null) return r();
              child.once("exit", () => r());
              child.kill("SIGTERM");
            }),
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d) => (out += d));
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, headers: Record<string, string>, connections: number, duration: number): Promise<Load> {
  const run = (d: number) =>
    autocannon({ url, method: "POST", body: BODY, headers: { "content-type": "application/json", ...headers }, connections, duration: d });
  await run(Math.min(2, duration)); // warm-up: JIT, warm instances, keep-alive sockets
  const r = await run(duration);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const rows: string[][] = [];
  const add = (...cells: (string | number)[]) => rows.push(cells.map(String));

  progress("starting the bare Node baseline server");
  const bare = await startProcess(["bench/bare-server.mjs", "0"], {}, /listening (\d+)/);
  const bareUrl = `http://127.0.0.1:${bare.match[1]}/`;

  const dataDir = await mkdtemp(join(tmpdir(), "hs-bench-"));
  const { key } = generateApiKey();
  progress("starting the HotSwap control plane (embedded stores, process backend)");
  const hs = await startProcess(
    ["--import", "tsx", "platform/src/cli.ts", "server", "--embedded-runner"],
    { PORT: "0", HOTSWAP_DATA_DIR: dataDir, HOTSWAP_ADMIN_KEY: key, LOG_LEVEL: "warn" },
    /serving on (http:\/\/\S+)/,
  );
  const base = hs.match[1]!;
  const auth = { authorization: `Bearer ${key}` };
  const api = async (method: string, path: string, body?: unknown, type = "application/json") => {
    const res = await fetch(base + path, {
      method,
      headers: { ...auth, "content-type": type },
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json().catch(() => undefined) as Promise<any>;
  };
  const nodeZip = zipDir(join(ROOT, "bench/handler"));

  try {
    const variants = [
      { name: "fast-ic1", protocol: "fast", ic: 1 },
      { name: "fast-ic16", protocol: "fast", ic: 16 },
      { name: "api-ic1", protocol: "runtime-api", ic: 1 },
      { name: "api-ic16", protocol: "runtime-api", ic: 16 },
    ];
    for (const v of variants) {
      // ic1 gets as many instances as there are connections' worth of cores; ic16 one instance.
      await api("POST", "/api/v1/functions", {
        name: v.name,
        runtime: "nodejs20",
        handler: "index.handler",
        protocol: v.protocol,
        instanceConcurrency: v.ic,
        maxInstances: v.ic === 1 ? 4 : 1,
      });
      await api("POST", `/api/v1/functions/${v.name}/versions`, nodeZip, "application/zip");
    }

    progress(`throughput: bare baseline, ${CONNECTIONS} connections, ${DURATION} s`);
    const baseline = await load(bareUrl, {}, CONNECTIONS, DURATION);
    add("bare Node server (baseline)", "-", Math.round(baseline.rps), "1.00", baseline.p50, baseline.p99, baseline.errors);
    for (const v of variants) {
      progress(`throughput: ${v.name}`);
      const r = await load(`${base}/api/v1/functions/${v.name}/invoke`, auth, CONNECTIONS, DURATION);
      add(`HotSwap warm invoke, ${v.protocol === "fast" ? "fast channel" : "Runtime API"}`, `ic=${v.ic}`, Math.round(r.rps), (r.rps / baseline.rps).toFixed(2), r.p50, r.p99, r.errors);
    }

    progress("added latency: 1 connection");
    const bare1 = await load(bareUrl, {}, 1, Math.max(3, DURATION / 2));
    const hs1 = await load(`${base}/api/v1/functions/fast-ic1/invoke`, auth, 1, Math.max(3, DURATION / 2));
    const latency = [
      ["bare p50/p99 (ms)", `${bare1.p50} / ${bare1.p99}`],
      ["HotSwap fast channel p50/p99 (ms)", `${hs1.p50} / ${hs1.p99}`],
      ["added by HotSwap p50/p99 (ms)", `${(hs1.p50 - bare1.p50).toFixed(2)} / ${(hs1.p99 - bare1.p99).toFixed(2)}`],
    ];

    const cold: string[][] = [];
    const pyZip = zipDir(join(ROOT, "bench/handler"));
    for (const c of [
      { name: "cold-node", runtime: "nodejs20", handler: "index.handler", protocol: "fast" },
      { name: "cold-node-api", runtime: "nodejs20", handler: "index.handler", protocol: "runtime-api" },
      { name: "cold-python", runtime: "python3.11", handler: "handler.handler", protocol: "fast" },
    ]) {
      progress(`cold starts: ${c.name}, ${COLD_SAMPLES} samples`);
      await api("POST", "/api/v1/functions", { name: c.name, runtime: c.runtime, handler: c.handler, protocol: c.protocol, maxInstances: 1 });
      const times: number[] = [];
      for (let i = 0; i < COLD_SAMPLES; i++) {
        // Every new version is a new pool: its first invocation always starts an instance.
        const { version } = await api("POST", `/api/v1/functions/${c.name}/versions`, c.runtime.startsWith("python") ? pyZip : nodeZip, "application/zip");
        const t0 = performance.now();
        const res = await fetch(`${base}/api/v1/functions/${c.name}/invoke?qualifier=${version}`, { method: "POST", headers: auth, body: BODY });
        await res.arrayBuffer();
        const ms = performance.now() - t0;
        if (res.status !== 200 || res.headers.get("x-hotswap-cold-start") !== "true") throw new Error(`${c.name} v${version}: expected a cold 200`);
        times.push(ms);
      }
      times.sort((a, b) => a - b);
      cold.push([`${c.runtime} ${c.protocol === "fast" ? "fast channel" : "Runtime API"}`, percentile(times, 50).toFixed(1), percentile(times, 99).toFixed(1)]);
    }

    const table = (head: string[], body: string[][]) => {
      const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
      const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(" | ")} |`;
      return [line(head), `|${w.map((n) => "-".repeat(n + 2)).join("|")}|`, ...body.map(line)].join("\n");
    };
    process.stdout.write(`\nHotSwap benchmark (${new Date().toISOString()}, node ${process.version}, ${CONNECTIONS} connections, ${DURATION} s per run)\n\n`);
    process.stdout.write(`Warm throughput\n${table(["target", "concurrency", "req/s", "× bare", "p50 ms", "p99 ms", "errors"], rows)}\n\n`);
    process.stdout.write(`Latency at 1 connection\n${table(["measure", "value"], latency)}\n\n`);
    process.stdout.write(`Cold start (client-observed, new version each sample, n=${COLD_SAMPLES})\n${table(["runtime", "p50 ms", "p99 ms"], cold)}\n`);
  } finally {
    await hs.stop();
    await bare.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`[bench] failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
