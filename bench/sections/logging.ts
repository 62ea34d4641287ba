/**
 * What function logging costs in warm throughput (issue 15: within 10 %): one embedded platform,
 * the benchmark handler as is ("quiet": the runner still writes START/END/REPORT for every call)
 * and the same handler writing one console.log line per call ("logging": captured, tagged with
 * its request id, shipped and stored), measured in interleaved rounds (bare, quiet, bare, logging),
 * each against the bare server run just before it. The quotient quoted is the median of the
 * per-round (logging ÷ quiet) ratios.
 */
import type { BenchContext, BenchTable } from "../section.ts";
import { deployWarmVariant, load, startPlatform, type BenchPlatform, type WarmVariant } from "../support.ts";
import { zipFiles } from "../../tests/support/zip.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const QUIET = 'exports.handler = async (event) => ({ ok: true, n: event.n ?? null });\n';
const LOGGING = 'exports.handler = async (event) => {\n  console.log("handled", event.n ?? null);\n  return { ok: true, n: event.n ?? null };\n};\n';

export async function loggingCost(ctx: BenchContext): Promise<BenchTable[]> {
  let p: BenchPlatform | undefined;
  try {
    ctx.progress("starting a control plane with its embedded runner");
    p = await startPlatform({ RUNNER_STEMS: "0" });
    const rows: string[][] = [];
    for (const ic of [1, 16]) {
      const sides: Array<{ label: string; v: WarmVariant; code: string }> = [
        { label: "quiet", v: { name: `log-quiet-ic${ic}`, protocol: "fast", ic }, code: QUIET },
        { label: "logging", v: { name: `log-chatty-ic${ic}`, protocol: "fast", ic }, code: LOGGING },
      ];
      for (const s of sides) await deployWarmVariant(p, s.v, zipFiles({ "index.js": s.code, "package.json": '{"type":"commonjs"}' }));
      const ratios: number[][] = [[], []];
      for (let round = 0; round < ctx.rounds; round++) {
        ctx.progress(`logging cost: ic=${ic}, round ${round + 1}/${ctx.rounds}`);
        for (const [i, s] of sides.entries()) {
          const bare = await load(ctx.bareUrl, {}, ctx.connections, ctx.durationS);
          const target = await load(`${p.url}/api/v1/functions/${s.v.name}/invoke`, p.auth, ctx.connections, ctx.durationS);
          ratios[i]!.push(bare.rps > 0 ? target.rps / bare.rps : 0);
        }
      }
      const quotients = ratios[1]!.map((on, i) => (ratios[0]![i]! > 0 ? on / ratios[0]![i]! : 0));
      rows.push([
        `fast channel, ic=${ic}`,
        median(ratios[0]!).toFixed(2),
        median(ratios[1]!).toFixed(2),
        median(quotients).toFixed(3),
        quotients.map((q) => q.toFixed(2)).join(" "),
      ]);
    }
    return [
      {
        title: "Function logging cost, warm throughput on the process backend (× bare, interleaved rounds)",
        head: ["variant", "quiet × bare", "logging × bare", "logging ÷ quiet (median)", "each round"],
        rows,
      },
    ];
  } finally {
    await p?.stop();
  }
}
