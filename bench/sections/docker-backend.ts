/**
 * The embedded platform on the docker backend, beside the process backend in the same run: cold
 * starts (a fresh container, and a prewarmed stem container specialised on first use) and warm
 * throughput, as a ratio to the bare Node baseline. Host networking, like the tests; needs Docker
 * and the runtime images (npm run images -- --offline).
 */
import { join } from "node:path";
import type { BenchContext, BenchTable } from "../section.ts";
import { BODY, ROOT, THROUGHPUT_HEAD, coldStarts, percentile, startPlatform, throughputRow, type BenchPlatform, deployWarmVariant, type WarmVariant } from "../support.ts";
import { zipDir } from "../../tests/support/zip.ts";

/** Memory size that has stems; functions of another size start fresh containers. */
const STEM_MB = 256;
const FRESH_MB = 512;

export async function dockerBackend(ctx: BenchContext): Promise<BenchTable[]> {
  const samples = Number(process.env.BENCH_COLD_SAMPLES ?? 20);
  const zip = zipDir(join(ROOT, "bench/handler"));
  ctx.progress("starting the HotSwap control plane (embedded stores, docker backend, one stem per runtime)");
  const docker = await startPlatform({
    RUNNER_BACKEND: "docker",
    RUNNER_DOCKER_NETWORK: "host",
    RUNNER_ID: `bench-${process.pid}`,
    RUNNER_STEMS: "1",
    RUNNER_STEM_RUNTIMES: "nodejs20,python3.12",
    RUNNER_STEM_MEMORY_MB: String(STEM_MB),
  });
  const cold: string[][] = [];
  const throughput: string[][] = [];
  try {
    for (const c of [
      { runtime: "nodejs20", handler: "index.handler" },
      { runtime: "python3.12", handler: "handler.handler" },
    ]) {
      const fresh = `fresh-${c.runtime.replace(".", "")}`;
      await docker.api("POST", "/api/v1/functions", { name: fresh, ...c, memorySize: FRESH_MB, maxInstances: 1 });
      ctx.progress(`docker cold starts, fresh container: ${c.runtime}, ${samples} samples`);
      const f = await coldStarts(docker, fresh, zip, samples);
      cold.push([`docker, ${c.runtime}, fresh container`, percentile(f, 50).toFixed(1), percentile(f, 99).toFixed(1)]);

      const stem = `stem-${c.runtime.replace(".", "")}`;
      await docker.api("POST", "/api/v1/functions", { name: stem, ...c, memorySize: STEM_MB, maxInstances: 1 });
      ctx.progress(`docker cold starts, prewarmed stem: ${c.runtime}, ${samples} samples`);
      const s = await stemColdStarts(docker, stem, zip, samples);
      cold.push([`docker, ${c.runtime}, prewarmed stem`, percentile(s, 50).toFixed(1), percentile(s, 99).toFixed(1)]);
    }

    for (const v of <WarmVariant[]>[
      { name: "warm-fast-ic1", protocol: "fast", ic: 1 },
      { name: "warm-fast-ic16", protocol: "fast", ic: 16 },
      { name: "warm-api-ic1", protocol: "runtime-api", ic: 1 },
    ]) {
      await deployWarmVariant(docker, v, zip);
      ctx.progress(`docker warm throughput: ${v.name}`);
      const r = await ctx.paired(`${docker.url}/api/v1/functions/${v.name}/invoke`, docker.auth);
      throughput.push(throughputRow(`docker backend, ${v.protocol === "fast" ? "fast channel" : "Runtime API"}`, v.ic, r));
    }
  } finally {
    await docker.stop();
  }

  // The process backend in the same run, for the side-by-side rows.
  ctx.progress("starting the HotSwap control plane (process backend) for comparison");
  const proc = await startPlatform();
  try {
    await proc.api("POST", "/api/v1/functions", { name: "cold-node", runtime: "nodejs20", handler: "index.handler", maxInstances: 1 });
    ctx.progress(`process cold starts: nodejs20, ${samples} samples`);
    const p = await coldStarts(proc, "cold-node", zip, samples);
    cold.unshift([`process, nodejs20, child process`, percentile(p, 50).toFixed(1), percentile(p, 99).toFixed(1)]);
    await proc.api("POST", "/api/v1/functions", { name: "warm-fast-ic1", runtime: "nodejs20", handler: "index.handler", instanceConcurrency: 1, maxInstances: 4 });
    await proc.api("POST", "/api/v1/functions/warm-fast-ic1/versions", zip, "application/zip");
    ctx.progress("process warm throughput: warm-fast-ic1");
    const r = await ctx.paired(`${proc.url}/api/v1/functions/warm-fast-ic1/invoke`, proc.auth);
    throughput.unshift(throughputRow("process backend, fast channel", 1, r));
  } finally {
    await proc.stop();
  }

  return [
    {
      title: `Cold start, client-observed, docker vs process (new version per sample, n=${samples})`,
      head: ["backend, runtime, start", "p50 ms", "p99 ms"],
      rows: cold,
    },
    {
      title: "Warm throughput, docker vs process (ratio to the bare Node server)",
      head: THROUGHPUT_HEAD,
      rows: throughput,
    },
  ];
}

/**
 * Like coldStarts, but each sample must land on a stem: the pool refills in the background after
 * every take, so wait for it first, and retry (uncounted) a sample that started fresh.
 */
async function stemColdStarts(p: BenchPlatform, name: string, zip: Buffer, n: number): Promise<number[]> {
  const times: number[] = [];
  let misses = 0;
  while (times.length < n) {
    await new Promise((r) => setTimeout(r, 1500)); // the refill: a container start, ~0.5 s on an idle host
    const { version } = await p.api("POST", `/api/v1/functions/${name}/versions`, zip, "application/zip");
    const t0 = performance.now();
    const res = await fetch(`${p.url}/api/v1/functions/${name}/invoke?qualifier=${version}`, { method: "POST", headers: p.auth, body: BODY });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${name} v${version}: expected 200, got ${res.status}`);
    if (res.headers.get("x-hotswap-start") === "stem") times.push(ms);
    else if (++misses > n) throw new Error(`${name}: ${misses} cold starts found no stem ready`);
  }
  return times.sort((a, b) => a - b);
}
