/**
 * The ruby3.1 runtime on the process backend: warm throughput of the benchmark handler's Ruby twin
 * (bench/handler/handler.rb) on the fast channel (instanceConcurrency 1 and 16) and the Runtime API,
 * as a ratio to the bare Node server; then client-observed cold starts of a fresh instance and of a
 * prewarmed stem, each beside nodejs20's measured the same way in the same run.
 */
import { join } from "node:path";
import type { BenchContext, BenchTable } from "../section.ts";
import { BODY, ROOT, THROUGHPUT_HEAD, percentile, startPlatform, throughputRow, type BenchPlatform } from "../support.ts";
import { zipDir } from "../../tests/support/zip.ts";
import { waitFor } from "../../tests/support/wait-for.ts";

type Start = "fresh" | "stem";
const HANDLERS = { "ruby3.1": "handler.handler", nodejs20: "index.handler" } as const;
type Runtime = keyof typeof HANDLERS;

export async function rubySection(ctx: BenchContext): Promise<BenchTable[]> {
  const coldSamples = Number(process.env.BENCH_COLD_SAMPLES ?? 20);
  const zip = zipDir(join(ROOT, "bench/handler"));
  const throughput: string[][] = [];
  const cold: string[][] = [];

  ctx.progress("starting the HotSwap control plane (process backend, no stems)");
  let p = await startPlatform({ RUNNER_STEMS: "0" });
  try {
    for (const v of [
      { name: "rb-fast-ic1", protocol: "fast", ic: 1 },
      { name: "rb-fast-ic16", protocol: "fast", ic: 16 },
      { name: "rb-api-ic1", protocol: "runtime-api", ic: 1 },
    ] as const) {
      await p.api("POST", "/api/v1/functions", { name: v.name, runtime: "ruby3.1", handler: HANDLERS["ruby3.1"], protocol: v.protocol, instanceConcurrency: v.ic, maxInstances: v.ic === 1 ? 4 : 1 });
      await p.api("POST", `/api/v1/functions/${v.name}/versions`, zip, "application/zip");
      ctx.progress(`warm throughput: ${v.name}`);
      const r = await ctx.paired(`${p.url}/api/v1/functions/${v.name}/invoke`, p.auth);
      throughput.push(throughputRow(`process backend, ruby3.1, ${v.protocol === "fast" ? "fast channel" : "Runtime API"}`, v.ic, r));
    }
    for (const runtime of ["ruby3.1", "nodejs20"] as const) cold.push(await coldRow(ctx, p, runtime, "fresh", zip, coldSamples));
  } finally {
    await p.stop();
  }

  ctx.progress("starting the HotSwap control plane (process backend, one stem per runtime)");
  p = await startPlatform({ RUNNER_STEMS: "1", RUNNER_STEM_RUNTIMES: "ruby3.1,nodejs20", RUNNER_STEM_MEMORY_MB: "256" });
  try {
    for (const runtime of ["ruby3.1", "nodejs20"] as const) cold.push(await coldRow(ctx, p, runtime, "stem", zip, coldSamples));
  } finally {
    await p.stop();
  }

  return [
    { title: "ruby3.1 warm throughput (ratio to the bare Node server)", head: THROUGHPUT_HEAD, rows: throughput },
    { title: `ruby3.1 cold start, client-observed (new version per sample, n=${coldSamples}; fast channel)`, head: ["runtime, start", "p50 ms", "p99 ms"], rows: cold },
  ];
}

async function coldRow(ctx: BenchContext, p: BenchPlatform, runtime: Runtime, start: Start, zip: Buffer, n: number): Promise<string[]> {
  const name = `cold-${runtime.replace(".", "")}-${start}`;
  ctx.progress(`cold starts: ${runtime}, ${start}, ${n} samples`);
  await p.api("POST", "/api/v1/functions", { name, runtime, handler: HANDLERS[runtime], maxInstances: 1 });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    // A stem is replaced in the background after each take: wait until the runner has one again.
    if (start === "stem") await waitFor(`a ${runtime} stem`, async () => ((await p.api("GET", "/api/v1/runners")).runners?.[0]?.stems?.[runtime] ?? 0) >= 1, { timeoutMs: 30_000 });
    const { version } = await p.api("POST", `/api/v1/functions/${name}/versions`, zip, "application/zip");
    const t0 = performance.now();
    const res = await fetch(`${p.url}/api/v1/functions/${name}/invoke?qualifier=${version}`, { method: "POST", headers: p.auth, body: BODY });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    const got = res.headers.get("x-hotswap-start");
    if (res.status !== 200 || got !== start) throw new Error(`${name} v${version}: expected a ${start} start with 200, got ${res.status} ${got}`);
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  return [`${runtime}, ${start}`, percentile(times, 50).toFixed(1), percentile(times, 99).toFixed(1)];
}
