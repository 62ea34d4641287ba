/**
 * Queue trigger throughput (issue 16, item 9): messages per second through one runner (the
 * embedded runner of one control plane, on Redis for state and the queue, the embedded database)
 * via a Redis Streams Queue trigger, next to direct invocation of the same handler (autocannon on
 * the invoke endpoint) and the bare server, in interleaved rounds. Each queue round publishes
 * BENCH_QUEUE_MESSAGES messages to a fresh stream, then enables a trigger on it and times until the
 * consumer group has acked them all (lag and pending 0). Every batch is one invocation with its
 * invocation record, so batchSize 1 pays a record per message and batchSize 10 one per ten.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { BenchContext, BenchTable } from "../section.ts";
import { deployWarmVariant, load, startPlatform, type BenchPlatform } from "../support.ts";
import { zipFiles } from "../../tests/support/zip.ts";
import { waitFor } from "../../tests/support/wait-for.ts";
import { isReachable } from "../../tests/support/services.ts";

const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const MESSAGES = Number(process.env.BENCH_QUEUE_MESSAGES ?? 3000);
const HANDLER = 'exports.handler = async (event) => ({ ok: true, n: event.n ?? null });\n';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function queueSection(ctx: BenchContext): Promise<BenchTable[]> {
  if (!(await isReachable(REDIS_URL))) {
    return [{ title: "Queue triggers (skipped)", head: ["reason"], rows: [[`Redis is not reachable at ${REDIS_URL}; start it or set BENCH_REDIS_URL`]] }];
  }
  let p: BenchPlatform | undefined;
  const redis = new Redis(REDIS_URL);
  const streams: string[] = [];
  try {
    ctx.progress("queue: starting a control plane with its embedded runner, on Redis");
    p = await startPlatform({ RUNNER_STEMS: "0", REDIS_URL, HOTSWAP_REDIS_PREFIX: `hsbench:${randomBytes(4).toString("hex")}:` });
    await deployWarmVariant(p, { name: "queue-bench", protocol: "fast", ic: 16 }, zipFiles({ "index.js": HANDLER, "package.json": '{"type":"commonjs"}' }));
    const variants = [1, 10];
    const rates: Record<string, number[]> = { bare: [], direct: [], ...Object.fromEntries(variants.map((b) => [`b${b}`, []])) };
    const ratios: Record<string, number[]> = Object.fromEntries(variants.map((b) => [`b${b}`, []]));
    for (let round = 0; round < ctx.rounds; round++) {
      ctx.progress(`queue: round ${round + 1}/${ctx.rounds}: bare, direct invoke, queue batchSize ${variants.join(" and ")}`);
      rates.bare!.push((await load(ctx.bareUrl, {}, ctx.connections, ctx.durationS)).rps);
      const direct = (await load(`${p.url}/api/v1/functions/queue-bench/invoke`, p.auth, ctx.connections, ctx.durationS)).rps;
      rates.direct!.push(direct);
      for (const batchSize of variants) {
        const stream = `hsbench:queue:${randomBytes(5).toString("hex")}`;
        streams.push(stream);
        const rate = await drainRate(p, redis, stream, batchSize);
        rates[`b${batchSize}`]!.push(rate);
        ratios[`b${batchSize}`]!.push(direct > 0 ? rate / direct : 0);
      }
    }
    const bare = median(rates.bare!);
    const rows = [
      ["direct invoke (autocannon, 32 connections)", String(Math.round(median(rates.direct!))), (median(rates.direct!) / bare).toFixed(2), "1.00", ""],
      ...variants.map((b) => [
        `Redis Streams queue trigger, batchSize ${b}, maxConcurrency 16`,
        String(Math.round(median(rates[`b${b}`]!))),
        (median(rates[`b${b}`]!) / bare).toFixed(2),
        median(ratios[`b${b}`]!).toFixed(2),
        ratios[`b${b}`]!.map((r) => r.toFixed(2)).join(" "),
      ]),
    ];
    return [
      {
        title: `Queue trigger throughput through one runner: messages/s (${MESSAGES} messages per round) vs direct invocation of the same handler (ic=16), bare server ${Math.round(bare)} req/s`,
        head: ["path", "messages or req/s (median)", "× bare", "× direct (median of rounds)", "each round × direct"],
        rows,
      },
    ];
  } finally {
    for (const s of streams) await redis.del(s).catch(() => undefined);
    redis.disconnect();
    await p?.stop();
  }
}

/** Publish MESSAGES to `stream`, enable a trigger on it, and return messages/s until the group has acked them all. */
async function drainRate(p: BenchPlatform, redis: Redis, stream: string, batchSize: number): Promise<number> {
  const pipe = redis.pipeline();
  for (let i = 0; i < MESSAGES; i++) pipe.xadd(stream, "*", "body", JSON.stringify({ n: i }));
  await pipe.exec();
  const t = await p.api("POST", "/api/v1/triggers", { functionName: "queue-bench", type: "Queue", enabled: false, config: { source: "redis", stream, batchSize, maxConcurrency: 16 } });
  const t0 = performance.now();
  await p.api("PUT", `/api/v1/triggers/${t.triggerId}`, { enabled: true });
  await waitFor(
    `${MESSAGES} messages acked on ${stream}`,
    async () => {
      const groups = (await redis.call("xinfo", "GROUPS", stream)) as unknown[][];
      const g = groups.map((f) => Object.fromEntries(f.flatMap((v, i) => (i % 2 === 0 ? [[String(v), f[i + 1]]] : [])))).find((x) => x.name === `hotswap-${t.triggerId}`);
      return g !== undefined && Number(g.pending) === 0 && Number(g.lag) === 0 && Number(g["entries-read"]) >= MESSAGES;
    },
    { timeoutMs: 300_000, intervalMs: 20 },
  );
  const seconds = (performance.now() - t0) / 1000;
  await p.api("DELETE", `/api/v1/triggers/${t.triggerId}`);
  return MESSAGES / seconds;
}
