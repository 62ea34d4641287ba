/**
 * Tracing's cost on warm throughput: the embedded platform (process backend, fast channel,
 * instanceConcurrency 16) with tracing off (no OTLP endpoint) and with tracing on at sampling 1.0
 * (OTEL_TRACES_SAMPLER=always_on, every span exported over OTLP/HTTP to a sink on loopback that
 * reads and drops the batches), measured in interleaved rounds (bare, off, on) so each round's
 * ratios share the machine's weather. Quoted: the median over rounds of each ratio to the bare
 * server, and of on ÷ off (goal: ≥ 0.85).
 */
import { createServer } from "node:http";
import { join } from "node:path";
import type { BenchContext, BenchTable } from "../section.ts";
import { ROOT, deployWarmVariant, load, startPlatform, type BenchPlatform, type Load, type WarmVariant } from "../support.ts";
import { zipDir } from "../../tests/support/zip.ts";

const VARIANT: WarmVariant = { name: "traced-ic16", protocol: "fast", ic: 16 };

/** An OTLP/HTTP endpoint that accepts and drops every batch, counting the bytes. */
async function startSink(): Promise<{ url: string; bytes: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on("data", (c: Buffer) => (bytes += c.length));
    req.on("end", () => res.writeHead(200, { "content-type": "application/x-protobuf" }).end()); // an empty ExportTraceServiceResponse
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    bytes: () => bytes,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function tracingSection(ctx: BenchContext): Promise<BenchTable[]> {
  const sink = await startSink();
  const zip = zipDir(join(ROOT, "bench/handler"));
  const platforms: BenchPlatform[] = [];
  try {
    ctx.progress("starting two control planes: tracing off, tracing on (always_on, OTLP/HTTP to a loopback sink)");
    const off = await startPlatform();
    platforms.push(off);
    const on = await startPlatform({ OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: "always_on" });
    platforms.push(on);
    for (const p of platforms) await deployWarmVariant(p, VARIANT, zip);
    const url = (p: BenchPlatform) => `${p.url}/api/v1/functions/${VARIANT.name}/invoke`;
    const rounds: Array<{ bare: Load; off: Load; on: Load }> = [];
    for (let i = 0; i < ctx.rounds; i++) {
      ctx.progress(`tracing round ${i + 1}/${ctx.rounds}: bare, off, on`);
      const bare = await load(ctx.bareUrl, {}, ctx.connections, ctx.durationS);
      const o = await load(url(off), off.auth, ctx.connections, ctx.durationS);
      const t = await load(url(on), on.auth, ctx.connections, ctx.durationS);
      rounds.push({ bare, off: o, on: t });
    }
    const offRatios = rounds.map((r) => r.off.rps / r.bare.rps);
    const onRatios = rounds.map((r) => r.on.rps / r.bare.rps);
    const onOff = rounds.map((r) => r.on.rps / r.off.rps);
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(" ");
    const row = (name: string, ratios: number[], pick: (r: (typeof rounds)[number]) => Load, vsOff: string, each: string) => {
      const m = median(ratios);
      const r = rounds[ratios.indexOf(m)]!;
      return [name, String(Math.round(pick(r).rps)), m.toFixed(2), fmt(ratios), vsOff, each, String(pick(r).p50), String(pick(r).p99), String(rounds.reduce((n, x) => n + pick(x).errors, 0))];
    };
    const exported = sink.bytes();
    return [
      {
        title: `Tracing cost, warm throughput (process backend, fast channel, ic=16; interleaved rounds; ${Math.round(exported / 1024)} KiB of OTLP exported)`,
        head: ["target", "req/s", "× bare (median)", "each round", "× off (median)", "each round", "p50 ms", "p99 ms", "errors"],
        rows: [
          row("tracing off (no endpoint)", offRatios, (r) => r.off, "1.00", "-"),
          row("tracing on, sampling 1.0", onRatios, (r) => r.on, median(onOff).toFixed(2), fmt(onOff)),
        ],
      },
    ];
  } finally {
    for (const p of platforms) await p.stop();
    await sink.close();
  }
}
