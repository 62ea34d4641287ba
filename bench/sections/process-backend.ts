/** The embedded platform on the process backend: warm throughput (both protocols, ic 1 and 16) with its CPU per request, added latency, cold starts. */
import { join } from "node:path";
import type { BenchContext, BenchTable } from "../section.ts";
import { CPU_HEAD, ROOT, THROUGHPUT_HEAD, coldStarts, cpuRow, percentile, sequentialLatency, startPlatform, deployWarmVariant, throughputRow, type WarmVariant } from "../support.ts";
import { zipDir } from "../../tests/support/zip.ts";

export async function processBackend(ctx: BenchContext): Promise<BenchTable[]> {
  const coldSamples = Number(process.env.BENCH_COLD_SAMPLES ?? 20);
  ctx.progress("starting the HotSwap control plane (embedded stores, process backend)");
  const p = await startPlatform();
  const zip = zipDir(join(ROOT, "bench/handler"));
  try {
    const variants: WarmVariant[] = [
      { name: "fast-ic1", protocol: "fast", ic: 1 },
      { name: "fast-ic16", protocol: "fast", ic: 16 },
      { name: "api-ic1", protocol: "runtime-api", ic: 1 },
      { name: "api-ic16", protocol: "runtime-api", ic: 16 },
    ];
    const throughput: string[][] = [];
    const cpu: string[][] = [];
    for (const v of variants) {
      await deployWarmVariant(p, v, zip);
      ctx.progress(`warm throughput: ${v.name}`);
      const r = await ctx.paired(`${p.url}/api/v1/functions/${v.name}/invoke`, p.auth, p.pid);
      const target = `process backend, ${v.protocol === "fast" ? "fast channel" : "Runtime API"}`;
      throughput.push(throughputRow(target, v.ic, r));
      if (r.cpu) cpu.push(cpuRow(target, v.ic, r.cpu));
    }

    ctx.progress("added latency: sequential requests on one connection");
    const n = Number(process.env.BENCH_LATENCY_SAMPLES ?? 2000);
    const bareLat = await sequentialLatency(ctx.bareUrl, {}, n);
    const hsLat = await sequentialLatency(`${p.url}/api/v1/functions/fast-ic1/invoke`, p.auth, n);
    const apiLat = await sequentialLatency(`${p.url}/api/v1/functions/api-ic1/invoke`, p.auth, n);
    const q = (t: number[], pct: number) => percentile(t, pct).toFixed(3);
    const added = (t: number[], pct: number) => (percentile(t, pct) - percentile(bareLat, pct)).toFixed(3);

    const cold: string[][] = [];
    for (const c of [
      { name: "cold-node", runtime: "nodejs20", handler: "index.handler", protocol: "fast" },
      { name: "cold-node-api", runtime: "nodejs20", handler: "index.handler", protocol: "runtime-api" },
      { name: "cold-python", runtime: "python3.11", handler: "handler.handler", protocol: "fast" },
    ]) {
      ctx.progress(`cold starts: ${c.name}, ${coldSamples} samples`);
      await p.api("POST", "/api/v1/functions", { name: c.name, runtime: c.runtime, handler: c.handler, protocol: c.protocol, maxInstances: 1 });
      const times = await coldStarts(p, c.name, zip, coldSamples);
      cold.push([`process, ${c.runtime}, ${c.protocol === "fast" ? "fast channel" : "Runtime API"}`, percentile(times, 50).toFixed(1), percentile(times, 99).toFixed(1)]);
    }

    return [
      { title: "Warm throughput (ratio to the bare Node server)", head: THROUGHPUT_HEAD, rows: throughput },
      {
        title: "CPU per request in the same runs (user + system from /proc, median of the rounds, warm-up included; autocannon not counted)",
        head: CPU_HEAD,
        rows: cpu,
      },
      {
        title: `Latency, sequential requests on one keep-alive connection (n=${n})`,
        head: ["target", "p50 ms", "p99 ms", "added p50 ms", "added p99 ms"],
        rows: [
          ["bare Node server", q(bareLat, 50), q(bareLat, 99), "-", "-"],
          ["HotSwap invoke, fast channel", q(hsLat, 50), q(hsLat, 99), added(hsLat, 50), added(hsLat, 99)],
          ["HotSwap invoke, Runtime API", q(apiLat, 50), q(apiLat, 99), added(apiLat, 50), added(apiLat, 99)],
        ],
      },
      { title: `Cold start, client-observed (new version per sample, n=${coldSamples})`, head: ["backend, runtime, protocol", "p50 ms", "p99 ms"], rows: cold },
    ];
  } finally {
    await p.stop();
  }
}
