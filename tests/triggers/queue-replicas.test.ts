/**
 * Queue triggers across two control-plane replicas sharing Postgres and Redis: a trigger created
 * on one replica is consumed by both (two consumers in its Redis consumer group, started on the
 * other replica by the trigger-change broadcast), the messages are shared between them and each is
 * processed, and disabling the trigger on the other replica stops both consumers. And a trigger's
 * maxConcurrency is one limit for the whole cluster (as Lambda's ScalingConfig.MaximumConcurrency is
 * per event source mapping): the function reports when each batch started and ended (Date.now(),
 * one host), and at no instant do more run than the limit while both replicas consume (with the
 * limit counted per replica, twice as many would overlap).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { Redis } from "ioredis";
import { QueueTriggerConfig } from "../../protocol/api/triggers.ts";
import { redisGroupOf } from "../../platform/src/triggers/queue/redis-queue.ts";
import { it, serversSkipReason, SkipError } from "../support/platform.ts";
import { TEST_REDIS_URL } from "../support/services.ts";
import { FAST_QUEUE_ENV, QUEUE_BROKERS } from "../support/queue-brokers.ts";
import { waitFor } from "../support/wait-for.ts";
import { apiOf, deployInline } from "../async/support.ts";
import { startReplicas, type Replicas } from "../async/two-replicas.ts";

const MESSAGES = 40;
const LIMIT = 2;

/** Runs 150 ms and answers with its start and end (Date.now(): every process on the host shares the clock). */
const TIMED = `const now = () => Date.now();
exports.handler = async (event) => { const start = now(); await new Promise((r) => setTimeout(r, 150)); return { start, end: now(), bodies: event.Records.map((r) => r.body) }; };`;

/** The most intervals open at once; an end and a start at the same instant do not overlap. */
function maxOverlap(runs: ReadonlyArray<{ start: number; end: number }>): number {
  const edges = runs.flatMap((r) => [
    { at: r.start, d: 1 },
    { at: r.end, d: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.d - b.d);
  let open = 0;
  let max = 0;
  for (const e of edges) max = Math.max(max, (open += e.d));
  return max;
}

const SEES = `exports.handler = async (event) => { await new Promise((r) => setTimeout(r, 100)); return { seen: event.Records.map((r) => r.body) }; };`;

describe("Queue triggers on two replicas", () => {
  let r: Replicas | undefined;
  let skip: string | undefined;
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  before(async () => {
    skip = await serversSkipReason();
    if (!skip) {
      r = await startReplicas(FAST_QUEUE_ENV);
      await r.add();
    }
  });
  after(async () => {
    await r?.close();
    redis.disconnect();
    await QUEUE_BROKERS.redis.close();
  });

  it("both replicas consume a trigger made on one; every message is processed; disabling on the other stops both", async () => {
    if (skip) throw new SkipError(skip);
    const [a, b] = r!.planes;
    await deployInline(a!, "shared", SEES);
    const broker = QUEUE_BROKERS.redis;
    const names = broker.names();
    const created = await a!.api("POST", "/api/v1/triggers", { functionName: "shared", type: "Queue", config: { source: "redis", ...names.queue, batchSize: 2, maxConcurrency: 2 } });
    assert.equal(created.status, 201, created.text);
    const triggerId = created.json.triggerId as string;
    const config = QueueTriggerConfig.parse(created.json.config);
    const group = redisGroupOf(triggerId, config);
    const consumers = async () => ((await redis.call("xinfo", "CONSUMERS", config.stream!, group)) as unknown[]).length;
    try {
      // A Redis consumer appears in the group with its first delivery: publish until both replicas have taken some.
      const bodies: string[] = [];
      await waitFor(
        "a consumer in the group from each replica",
        async () => {
          const body = `m${bodies.length}`;
          bodies.push(body);
          await broker.publish(config, [{ body }]);
          return consumers();
        },
        { timeoutMs: 20_000, intervalMs: 100, until: (n) => n === 2 },
      );
      const more = Array.from({ length: 30 }, (_, i) => `n${i}`);
      await broker.publish(config, more.map((body) => ({ body })));
      bodies.push(...more);
      const api = apiOf(b!);
      const seen = await waitFor(
        "every message processed",
        async () => {
          const page = await api.async.list("shared", { source: triggerId, limit: 100 });
          if (!page.ok) return undefined;
          const all = page.value.invocations.filter((i) => i.status === "Succeeded").flatMap((i) => (JSON.parse(i.result!) as { seen: string[] }).seen);
          return bodies.every((x) => all.includes(x)) ? all : undefined;
        },
        { timeoutMs: 30_000 },
      );
      console.log(`two replicas: ${bodies.length} messages, ${seen.length} processed (${seen.length - new Set(seen).size} duplicates)`);
      assert.equal(await broker.unsettled(config, triggerId), 0);
      const disabled = await b!.api("PUT", `/api/v1/triggers/${triggerId}`, { enabled: false });
      assert.equal(disabled.status, 200, disabled.text);
      await waitFor("both replicas' consumers gone from the group", async () => (await consumers()) === 0, { timeoutMs: 15_000 });
    } finally {
      await broker.remove(config, triggerId);
    }
  }, { timeout: 90_000 });

  it(`never runs more than maxConcurrency (${LIMIT}) batches at once across two replicas, and both replicas consume`, async () => {
    if (skip) throw new SkipError(skip);
    const [a, b] = r!.planes;
    await deployInline(a!, "capped", TIMED);
    const broker = QUEUE_BROKERS.redis;
    const names = broker.names();
    const created = await a!.api("POST", "/api/v1/triggers", { functionName: "capped", type: "Queue", config: { source: "redis", ...names.queue, batchSize: 1, maxConcurrency: LIMIT } });
    assert.equal(created.status, 201, created.text);
    const triggerId = created.json.triggerId as string;
    const config = QueueTriggerConfig.parse(created.json.config);
    const group = redisGroupOf(triggerId, config);
    try {
      // Both replicas run a consumer before the messages arrive (B learns of the trigger by the
      // change broadcast; a Redis consumer is visible only once it has been delivered something).
      await new Promise((r) => setTimeout(r, 1500));
      const bodies = Array.from({ length: MESSAGES }, (_, i) => `m${i}`);
      await broker.publish(config, bodies.map((body) => ({ body })));
      // Which consumers (one per replica) hold messages while the batches run.
      const holders = new Set<string>();
      const api = apiOf(b!);
      const runs = await waitFor(
        "every message processed",
        async () => {
          const pending = (await redis.xpending(config.stream!, group)) as [number, string | null, string | null, Array<[string, string]> | null];
          for (const [consumer, n] of pending[3] ?? []) if (Number(n) > 0) holders.add(consumer);
          const page = await api.async.list("capped", { source: triggerId, limit: 100 });
          if (!page.ok) return undefined;
          const done = page.value.invocations.filter((i) => i.status === "Succeeded").map((i) => JSON.parse(i.result!) as { start: number; end: number; bodies: string[] });
          return bodies.every((x) => done.some((d) => d.bodies.includes(x))) ? done : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 30 },
      );
      const overlap = maxOverlap(runs);
      console.log(`maxConcurrency ${LIMIT} on two replicas: ${runs.length} batches, at most ${overlap} at once, consumers holding messages: ${holders.size}`);
      const t0 = Math.min(...runs.map((x) => x.start));
      const timeline = [...runs].sort((x, y) => x.start - y.start).map((x) => `${(x.start - t0).toFixed(1)}-${(x.end - t0).toFixed(1)}`).join(" ");
      assert.ok(overlap <= LIMIT, `${overlap} batches ran at once; maxConcurrency is ${LIMIT}; batches (ms): ${timeline}`);
      assert.equal(overlap, LIMIT, "the limit is reached (else the test proves nothing)");
      assert.ok(holders.size >= 2, `both replicas consume (consumers seen holding messages: ${[...holders].join(", ")})`);
    } finally {
      await broker.remove(config, triggerId);
    }
  }, { timeout: 120_000 });
});
