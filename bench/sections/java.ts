/**
 * java17 on the process backend: warm throughput of the benchmark handler in Java (bench/handler-java,
 * a RequestHandler compiled with javac here) against the bare Node baseline, and client-observed cold
 * starts with and without a prewarmed stem (a JVM already started, waiting for its function).
 * Skipped with the reason when there is no javac 17.
 */
import { join } from "node:path";
import type { BenchContext, BenchTable } from "../section.ts";
import { BODY, ROOT, THROUGHPUT_HEAD, coldStarts, percentile, startPlatform, throughputRow, type BenchPlatform } from "../support.ts";
import { compileJavaFunction, javaMissing } from "../../tests/support/java-function.ts";
import { zipDir } from "../../tests/support/zip.ts";

/** Pause before each sample so the stem pool has refilled (a JVM start) and the cold start can land on a stem. */
const STEM_REFILL_MS = Number(process.env.BENCH_STEM_REFILL_MS ?? 3000);

/** Like coldStarts, with a refill pause before each sample; counts the samples served by a stem (x-hotswap-start: stem). */
async function stemColdStarts(p: BenchPlatform, name: string, zip: Buffer, n: number): Promise<{ times: number[]; onStem: number }> {
  const times: number[] = [];
  let onStem = 0;
  for (let i = 0; i < n; i++) {
    const { version } = await p.api("POST", `/api/v1/functions/${name}/versions`, zip, "application/zip");
    await new Promise((r) => setTimeout(r, STEM_REFILL_MS));
    const t0 = performance.now();
    const res = await fetch(`${p.url}/api/v1/functions/${name}/invoke?qualifier=${version}`, { method: "POST", headers: p.auth, body: BODY });
    await res.arrayBuffer();
    times.push(performance.now() - t0);
    if (res.status !== 200 || res.headers.get("x-hotswap-cold-start") !== "true") throw new Error(`${name} v${version}: expected a cold 200, got ${res.status}`);
    if (res.headers.get("x-hotswap-start") === "stem") onStem++;
  }
  return { times: times.sort((a, b) => a - b), onStem };
}

export async function javaSection(ctx: BenchContext): Promise<BenchTable[]> {
  const missing = javaMissing();
  if (missing) {
    ctx.progress(`java17 skipped: ${missing}`);
    return [];
  }
  const coldSamples = Number(process.env.BENCH_COLD_SAMPLES ?? 20);
  const zip = zipDir(await compileJavaFunction(join(ROOT, "bench/handler-java/src"), "bench-handler"));
  const throughput: string[][] = [];
  const cold: string[][] = [];
  for (const stems of [0, 1]) {
    ctx.progress(`starting the HotSwap control plane (process backend, ${stems} java17 stem${stems === 1 ? "" : "s"})`);
    const p = await startPlatform({ RUNNER_STEMS: String(stems), RUNNER_STEM_RUNTIMES: "java17" });
    try {
      if (stems === 0) {
        await p.api("POST", "/api/v1/functions", { name: "java-warm", runtime: "java17", handler: "bench.Handler::handleRequest", maxInstances: 4 });
        await p.api("POST", "/api/v1/functions/java-warm/versions", zip, "application/zip");
        // Start the four JVMs first: a JVM cold start (~0.5-2 s) would otherwise eat a short warm-up run.
        ctx.progress("warm throughput: java17, starting its 4 instances");
        for (let round = 0; round < 3; round++) {
          await Promise.all(Array.from({ length: 4 }, () => fetch(`${p.url}/api/v1/functions/java-warm/invoke`, { method: "POST", headers: p.auth, body: BODY }).then((r) => r.arrayBuffer())));
        }
        ctx.progress("warm throughput: java17, fast channel, ic 1");
        const r = await ctx.paired(`${p.url}/api/v1/functions/java-warm/invoke`, p.auth);
        throughput.push(throughputRow("process backend, java17, fast channel", 1, r));
      }
      const name = `java-cold-${stems}`;
      ctx.progress(`cold starts: java17 with ${stems} stem(s), ${coldSamples} samples`);
      await p.api("POST", "/api/v1/functions", { name, runtime: "java17", handler: "bench.Handler::handleRequest", maxInstances: 1 });
      if (stems === 0) {
        const times = await coldStarts(p, name, zip, coldSamples);
        cold.push(["process, java17, fast channel, no stems", percentile(times, 50).toFixed(1), percentile(times, 99).toFixed(1)]);
      } else {
        const { times, onStem } = await stemColdStarts(p, name, zip, coldSamples);
        cold.push([`process, java17, fast channel, stems on (${onStem}/${coldSamples} on a stem)`, percentile(times, 50).toFixed(1), percentile(times, 99).toFixed(1)]);
      }
    } finally {
      await p.stop();
    }
  }
  return [
    { title: "java17 warm throughput (ratio to the bare Node server)", head: THROUGHPUT_HEAD, rows: throughput },
    { title: `java17 cold start, client-observed (new version per sample, n=${coldSamples})`, head: ["backend, runtime, protocol", "p50 ms", "p99 ms"], rows: cold },
  ];
}
