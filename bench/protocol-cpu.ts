/**
 * `node --import tsx bench/protocol-cpu.ts`: what one invocation costs in CPU on each protocol
 * between runner and instance (fast channel, Lambda Runtime API), split between the platform's
 * own process (control plane with its embedded runner and Runtime API servers) and the instances.
 * Every run offers the same fixed request rate (autocannon `overallRate`), below what either
 * protocol sustains, so both carry the same share of the processes' background work (heartbeats,
 * log ingest, metric windows) and the figures compare on a loaded machine where req/s would not.
 * Interleaved rounds; the idle background rate is printed first.
 * Env: BENCH_RATE (req/s, default 300), BENCH_ROUNDS (3), BENCH_DURATION (s, 5), BENCH_IC (16).
 */
import { join } from "node:path";
import autocannon from "autocannon";
import { BODY, ROOT, deployWarmVariant, processCpuMs, startPlatform, treeCpuMs, type WarmVariant } from "./support.ts";
import { zipDir } from "../tests/support/zip.ts";

const rate = Number(process.env.BENCH_RATE ?? 300);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const duration = Number(process.env.BENCH_DURATION ?? 5);
const ic = Number(process.env.BENCH_IC ?? 16);
const PROTOCOLS: Array<WarmVariant["protocol"]> = ["runtime-api", "fast"];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const p = await startPlatform();
  try {
    const zip = zipDir(join(ROOT, "bench/handler"));
    for (const protocol of PROTOCOLS) {
      await deployWarmVariant(p, { name: `cpu-${protocol}`, protocol, ic }, zip);
      const res = await fetch(`${p.url}/api/v1/functions/cpu-${protocol}/invoke`, { method: "POST", headers: { "content-type": "application/json", ...p.auth }, body: BODY });
      if (res.status !== 200) throw new Error(`cpu-${protocol}: invoke answered ${res.status} ${await res.text()}`);
    }
    const offer = (url: string, seconds: number) =>
      autocannon({ url, method: "POST", body: BODY, headers: { "content-type": "application/json", ...p.auth }, connections: 16, overallRate: rate, duration: seconds });
    const i0 = await processCpuMs(p.pid);
    await new Promise((r) => setTimeout(r, duration * 1000));
    process.stdout.write(`idle platform process: ${(((await processCpuMs(p.pid)) - i0) / duration).toFixed(1)} ms CPU per second\n`);
    const got = new Map<string, { platform: number[]; instance: number[] }>();
    for (let round = 1; round <= rounds; round++) {
      for (const protocol of PROTOCOLS) {
        const url = `${p.url}/api/v1/functions/cpu-${protocol}/invoke`;
        await offer(url, 1); // warm-up
        const t0 = await treeCpuMs(p.pid);
        const s0 = await processCpuMs(p.pid);
        const r = await offer(url, duration);
        const own = (await processCpuMs(p.pid)) - s0;
        const instances = (await treeCpuMs(p.pid)) - t0 - own;
        const n = r.requests.total;
        const row = got.get(protocol) ?? { platform: [], instance: [] };
        row.platform.push((own * 1000) / n);
        row.instance.push((instances * 1000) / n);
        got.set(protocol, row);
        process.stderr.write(
          `[protocol-cpu] round ${round}: ${protocol} ${(n / duration).toFixed(0)} req/s, p50 ${r.latency.p50} ms, errors ${r.errors + r.non2xx}, platform ${((own * 1000) / n).toFixed(1)} µs, instance ${((instances * 1000) / n).toFixed(1)} µs per request\n`,
        );
      }
    }
    process.stdout.write(`\nCPU per request at ${rate} req/s offered, ic=${ic}, ${rounds} rounds × ${duration} s (median)\n`);
    for (const [protocol, row] of got) {
      process.stdout.write(`${protocol.padEnd(12)} platform process ${median(row.platform).toFixed(1)} µs  instance ${median(row.instance).toFixed(1)} µs\n`);
    }
  } finally {
    await p.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`[protocol-cpu] failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
