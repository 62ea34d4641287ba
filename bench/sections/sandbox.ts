/**
 * What the process backend's sandbox costs in warm throughput (issue 14: at most 10 %): two
 * embedded platforms side by side, RUNNER_SANDBOX=auto (sandboxed when run as root) and
 * RUNNER_SANDBOX=off, measured in interleaved rounds (bare, sandboxed, bare, unsandboxed), each
 * against the bare server run just before it, so a noisy neighbour moves both sides alike. The
 * quotient quoted is the median of the per-round (sandboxed ÷ unsandboxed) ratios.
 */
import { join } from "node:path";
import type { BenchContext, BenchTable } from "../section.ts";
import { ROOT, deployWarmVariant, load, startPlatform, type BenchPlatform, type WarmVariant } from "../support.ts";
import { zipDir } from "../../tests/support/zip.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function sandboxCost(ctx: BenchContext): Promise<BenchTable[]> {
  if (process.getuid?.() !== 0) ctx.progress("not root: RUNNER_SANDBOX=auto does not sandbox here, both sides run unsandboxed");
  const zip = zipDir(join(ROOT, "bench/handler"));
  const sides: Array<{ label: string; p?: BenchPlatform }> = [{ label: "sandbox on (auto, as root)" }, { label: "sandbox off" }];
  try {
    ctx.progress("starting two control planes: RUNNER_SANDBOX=auto and RUNNER_SANDBOX=off");
    sides[0]!.p = await startPlatform({ RUNNER_SANDBOX: "auto", RUNNER_STEMS: "0" });
    sides[1]!.p = await startPlatform({ RUNNER_SANDBOX: "off", RUNNER_STEMS: "0" });
    const variants: WarmVariant[] = [
      { name: "sb-fast-ic1", protocol: "fast", ic: 1 },
      { name: "sb-fast-ic16", protocol: "fast", ic: 16 },
    ];
    const rows: string[][] = [];
    for (const v of variants) {
      for (const s of sides) await deployWarmVariant(s.p!, v, zip);
      const ratios: number[][] = [[], []];
      for (let round = 0; round < ctx.rounds; round++) {
        ctx.progress(`sandbox cost: ${v.name}, round ${round + 1}/${ctx.rounds}`);
        for (const [i, s] of sides.entries()) {
          const bare = await load(ctx.bareUrl, {}, ctx.connections, ctx.durationS);
          const target = await load(`${s.p!.url}/api/v1/functions/${v.name}/invoke`, s.p!.auth, ctx.connections, ctx.durationS);
          ratios[i]!.push(bare.rps > 0 ? target.rps / bare.rps : 0);
        }
      }
      const quotients = ratios[0]!.map((on, i) => (ratios[1]![i]! > 0 ? on / ratios[1]![i]! : 0));
      rows.push([
        `fast channel, ic=${v.ic}`,
        median(ratios[0]!).toFixed(2),
        median(ratios[1]!).toFixed(2),
        median(quotients).toFixed(3),
        quotients.map((q) => q.toFixed(2)).join(" "),
      ]);
    }
    return [
      {
        title: "Sandbox cost, warm throughput on the process backend (× bare, interleaved rounds)",
        head: ["variant", "sandbox on × bare", "sandbox off × bare", "on ÷ off (median)", "each round"],
        rows,
      },
    ];
  } finally {
    for (const s of sides) await s.p?.stop();
  }
}
