/**
 * What authentication costs on the warm invoke path (issue 21: with a cached key or token, warm
 * throughput within 5 % of before identity): one embedded platform with HS256 JWTs enabled, the
 * benchmark handler (fast channel, ic=16) invoked with the admin API key (cached after its first
 * use) and with an HS256 bearer token (verified on each request), in interleaved rounds (bare,
 * API key, bare, JWT), each against the bare server run just before it, with the control plane's
 * CPU per request beside. The server has no mode without authentication, so "before identity" is
 * measured by `npm run bench:compare -- <commit before identity>` instead (see bench/README.md).
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { SignJWT } from "jose";
import type { BenchContext, BenchTable } from "../section.ts";
import { deployWarmVariant, load, loadWithCpu, startPlatform, type BenchPlatform } from "../support.ts";
import { zipDir } from "../../tests/support/zip.ts";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function authSection(ctx: BenchContext): Promise<BenchTable[]> {
  let p: BenchPlatform | undefined;
  const secret = randomBytes(32).toString("base64url");
  try {
    ctx.progress("starting a control plane with its embedded runner, HS256 tokens enabled");
    p = await startPlatform({ RUNNER_STEMS: "0", HOTSWAP_JWT_SECRET: secret });
    const name = "auth-cost";
    await deployWarmVariant(p, { name, protocol: "fast", ic: 16 }, zipDir(join(ctx.root, "bench/handler")));
    const token = await new SignJWT({ roles: ["invoker"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("bench")
      .setIssuedAt()
      .setExpirationTime("2h")
      .sign(new TextEncoder().encode(secret));
    const url = `${p.url}/api/v1/functions/${name}/invoke`;
    const sides = [
      { label: "API key (cached)", headers: p.auth },
      { label: "HS256 JWT", headers: { authorization: `Bearer ${token}` } },
    ];
    for (const s of sides) {
      // A side that fails is cheap and fast: make sure both are answered before anything is timed.
      const first = await fetch(url, { method: "POST", headers: s.headers, body: "{}" });
      if (first.status !== 200) throw new Error(`${s.label}: the benchmark function answered ${first.status}: ${(await first.text()).slice(0, 500)}`);
      await load(url, s.headers, ctx.connections, 1); // warm-up; the key and the token enter their caches
    }
    const ratios: number[][] = [[], []];
    const cpu: number[][] = [[], []];
    for (let round = 0; round < ctx.rounds; round++) {
      ctx.progress(`auth cost: round ${round + 1}/${ctx.rounds}`);
      // Alternate which side goes first, so neither always follows the other's load.
      for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
        const bare = await load(ctx.bareUrl, {}, ctx.connections, ctx.durationS);
        const target = await loadWithCpu(url, sides[i]!.headers, p.pid, ctx.connections, ctx.durationS);
        if (target.errors > 0) throw new Error(`${sides[i]!.label}: ${target.errors} errors or non-2xx answers`);
        ratios[i]!.push(bare.rps > 0 ? target.rps / bare.rps : 0);
        cpu[i]!.push(target.serverUs);
      }
    }
    const quotients = ratios[1]!.map((jwt, i) => (ratios[0]![i]! > 0 ? jwt / ratios[0]![i]! : 0));
    const cpuQuotients = cpu[1]!.map((jwt, i) => (cpu[0]![i]! > 0 ? jwt / cpu[0]![i]! : 0));
    return [
      {
        title: "Authentication cost, warm invoke on the process backend (fast channel, ic=16; × bare, interleaved rounds)",
        head: ["credential", "× bare (median)", "each round", "server CPU µs/req (median)"],
        rows: [
          ...sides.map((s, i) => [s.label, median(ratios[i]!).toFixed(2), ratios[i]!.map((r) => r.toFixed(2)).join(" "), median(cpu[i]!).toFixed(1)]),
          ["JWT ÷ API key", median(quotients).toFixed(3), quotients.map((q) => q.toFixed(2)).join(" "), `${median(cpuQuotients).toFixed(3)} (CPU)`],
        ],
      },
    ];
  } finally {
    await p?.stop();
  }
}
