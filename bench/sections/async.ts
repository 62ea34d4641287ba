/**
 * Asynchronous invocation on the embedded platform (its durable embedded queue: PGlite records, no
 * Redis): how fast it accepts events (202/s for `X-Amz-Invocation-Type: Event`) next to direct
 * (RequestResponse) invocation of the same handler, each against the bare server, in interleaved
 * rounds (bare, direct, bare, async). After every async round the backlog is left to drain before
 * the next round, so no round measures the previous one's queue; the drain time is quoted. Then
 * the end-to-end latency (enqueue → Succeeded: the record's createdAt to finishedAt) of events sent
 * at a steady light rate, p50/p99.
 */
import type { BenchContext, BenchTable } from "../section.ts";
import { BODY, deployWarmVariant, load, percentile, startPlatform, type BenchPlatform } from "../support.ts";
import { zipFiles } from "../../tests/support/zip.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Two decimals, three below 0.1 (so a small ratio does not print as 0.00). */
const ratio = (x: number) => x.toFixed(x < 0.1 ? 3 : 2);
const HANDLER = 'exports.handler = async (event) => ({ ok: true, n: event.n ?? null });\n';
const EVENT = { "x-amz-invocation-type": "Event" };
/** Events per second for the latency figure: light enough that no queue builds up. */
const LATENCY_RATE = 20;

export async function asyncSection(ctx: BenchContext): Promise<BenchTable[]> {
  let p: BenchPlatform | undefined;
  try {
    ctx.progress("starting a control plane with its embedded runner and embedded queue");
    p = await startPlatform({ RUNNER_STEMS: "0" });
    const zip = zipFiles({ "index.js": HANDLER, "package.json": '{"type":"commonjs"}' });
    const fn = { name: "async-bench", protocol: "fast" as const, ic: 16 };
    await deployWarmVariant(p, fn, zip);
    const invokeUrl = `${p.url}/api/v1/functions/${fn.name}/invoke`;

    const sides = [
      { label: "direct invoke (200)", headers: p.auth },
      { label: "async enqueue (202)", headers: { ...p.auth, ...EVENT } },
    ];
    const rounds = sides.map(() => ({ ratios: [] as number[], rps: [] as number[], p50: [] as number[], p99: [] as number[], errors: 0 }));
    const drains: number[] = [];
    for (let round = 0; round < ctx.rounds; round++) {
      ctx.progress(`async: round ${round + 1}/${ctx.rounds}`);
      for (const [i, s] of sides.entries()) {
        const bare = await load(ctx.bareUrl, {}, ctx.connections, ctx.durationS);
        const target = await load(invokeUrl, s.headers, ctx.connections, ctx.durationS);
        const r = rounds[i]!;
        r.ratios.push(bare.rps > 0 ? target.rps / bare.rps : 0);
        r.rps.push(target.rps);
        r.p50.push(target.p50);
        r.p99.push(target.p99);
        r.errors += target.errors;
        if (i === 1) drains.push(await drained(p, fn.name));
      }
    }
    const throughput: BenchTable = {
      title: "Asynchronous invocation on the embedded queue: accept rate vs direct invocation (× bare, interleaved rounds, fast channel, ic=16)",
      head: ["target", "req/s (median)", "× bare (median)", "each round", "p50 ms", "p99 ms", "errors"],
      rows: sides.map((s, i) => {
        const r = rounds[i]!;
        return [s.label, String(Math.round(median(r.rps))), ratio(median(r.ratios)), r.ratios.map(ratio).join(" "), String(median(r.p50)), String(median(r.p99)), String(r.errors)];
      }),
    };
    throughput.rows.push(["backlog of an async round drained in (s, each round)", "", "", drains.map((d) => d.toFixed(1)).join(" "), "", "", ""]);

    ctx.progress(`async: end-to-end latency at ${LATENCY_RATE} events/s`);
    const lat = { name: "async-latency", protocol: "fast" as const, ic: 16 };
    await deployWarmVariant(p, lat, zip);
    await fetch(`${p.url}/api/v1/functions/${lat.name}/invoke`, { method: "POST", headers: p.auth, body: BODY }).then((r) => r.arrayBuffer()); // warm
    const n = Math.max(50, LATENCY_RATE * ctx.durationS * ctx.rounds);
    const ids: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const wait = t0 + (i * 1000) / LATENCY_RATE - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const res = await fetch(`${p.url}/api/v1/functions/${lat.name}/invoke`, { method: "POST", headers: { ...p.auth, ...EVENT }, body: BODY });
      if (res.status !== 202) throw new Error(`async invoke: ${res.status} ${await res.text()}`);
      ids.push(((await res.json()) as { requestId: string }).requestId);
    }
    await drained(p, lat.name);
    const ms: number[] = [];
    for (const id of ids) {
      const r = (await p.api("GET", `/api/v1/invocations/${id}`)) as { status: string; createdAt: string; finishedAt: string | null };
      if (r.status !== "Succeeded" || !r.finishedAt) throw new Error(`event ${id} ended ${r.status}`);
      ms.push(Date.parse(r.finishedAt) - Date.parse(r.createdAt));
    }
    ms.sort((a, b) => a - b);
    const latency: BenchTable = {
      title: `Asynchronous invocation, end to end (enqueue → Succeeded, from the records' timestamps; ${LATENCY_RATE} events/s)`,
      head: ["events", "p50 ms", "p99 ms", "max ms"],
      rows: [[String(ms.length), String(percentile(ms, 50)), String(percentile(ms, 99)), String(ms[ms.length - 1])]],
    };
    return [throughput, latency];
  } finally {
    await p?.stop();
  }
}

/** Wait until `fn` has no Queued, Running or Retrying invocation; seconds it took. */
async function drained(p: BenchPlatform, fn: string): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    let busy = false;
    for (const status of ["Queued", "Running", "Retrying"]) {
      const page = (await p.api("GET", `/api/v1/functions/${fn}/invocations?status=${status}&limit=1`)) as { invocations: unknown[] };
      busy ||= page.invocations.length > 0;
    }
    if (!busy) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > 300_000) throw new Error(`${fn}: the async backlog did not drain within 300 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
