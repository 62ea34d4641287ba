/**
 * The stream engine across two control-plane replicas (two engines on one state store's leases,
 * one real Redis stream): only the lease holder consumes, and when it stops the other takes over
 * from the stored checkpoint: no record is skipped, none before the checkpoint runs again, and
 * order per key holds across the handover.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import type { InvokeResult } from "../../router/invoker.ts";
import { LeaderLease } from "../../../../shared/lease/leader-lease.ts";
import { openEmbeddedStores, type EmbeddedStores } from "../../../../tests/support/embedded-stores.ts";
import { TEST_REDIS_URL, serviceSkipReason } from "../../../../tests/support/services.ts";
import { waitFor } from "../../../../tests/support/wait-for.ts";
import type { KinesisEventRecord } from "./kinesis-event.ts";
import { RedisStreamSource, redisCheckpointKey } from "./redis-stream-source.ts";
import { StreamConsumer } from "./stream-consumer.ts";
import { StreamTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { StreamEngine } from "./stream-engine.ts";

describe("StreamEngine across replicas", () => {
  let skip: string | undefined;
  let stores: EmbeddedStores;
  let redis: Redis;
  const stream = `hstest:stream-engine:${randomBytes(5).toString("hex")}`;
  let triggerId = "";

  before(async () => {
    skip = await serviceSkipReason("redis", TEST_REDIS_URL);
    stores = await openEmbeddedStores();
    if (!skip) redis = new Redis(TEST_REDIS_URL);
  });
  after(async () => {
    if (redis) {
      await redis.del(stream, redisCheckpointKey(triggerId, stream));
      await redis.quit();
    }
    await stores.close();
  });

  it("runs one consumer per trigger, on the lease holder, and hands over at the checkpoint", { timeout: 60_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const trigger = await stores.repos.triggers.create({ functionName: "fn", type: "Stream", config: { source: "redis", stream, startingPosition: "TRIM_HORIZON", batchSize: 2 } });
    triggerId = trigger.id;
    const seen: Array<{ replica: string; data: string }> = [];
    const engine = (replica: string) =>
      new StreamEngine({
        repos: stores.repos,
        invoker: {
          invoke: async (_fn: string, _q: string | undefined, payload: Buffer): Promise<InvokeResult> => {
            for (const r of (JSON.parse(payload.toString()) as { Records: KinesisEventRecord[] }).Records) seen.push({ replica, data: Buffer.from(r.kinesis.data, "base64").toString() });
            await new Promise((r) => setTimeout(r, 20));
            return { spec: { version: 1 } as InvokeResult["spec"], outcome: { kind: "success", payload: Buffer.from("null"), coldStart: false, start: "warm", durationMs: 1 } };
          },
        },
        stats: { record: () => undefined },
        connections: { redisUrl: TEST_REDIS_URL },
        lease: new LeaderLease(stores.state, { duty: "streams", namespace: "hs:test:", holder: replica, ttlMs: 3000, renewMs: 200 }),
        intervalMs: 100,
        readWaitMs: 100,
        retryDelayMs: () => 20,
        log: { warn: () => undefined },
      });
    const a = engine("a");
    const b = engine("b");
    await a.start();
    await b.start();
    try {
      await waitFor("replica a consumes the trigger", () => a.consuming.includes(triggerId));
      for (let i = 0; i < 20; i++) await redis.xadd(stream, "*", "partitionKey", "k", "data", String(i));
      await waitFor("replica a processed a few records", () => seen.length >= 6);
      assert.deepEqual(b.consuming, [], "the standby consumes nothing");
      await a.stop();
      const handedAt = seen.length;
      assert.ok(handedAt < 20, "the handover happened before the end of the stream");
      await waitFor("replica b took over", () => b.consuming.includes(triggerId));
      await waitFor("every record processed", () => new Set(seen.map((s) => s.data)).size === 20);
      assert.ok(seen.slice(0, handedAt).every((s) => s.replica === "a"));
      assert.ok(seen.slice(handedAt).every((s) => s.replica === "b"));
      assert.deepEqual(
        seen.map((s) => Number(s.data)),
        Array.from({ length: 20 }, (_, i) => i),
        "every record once, in order, across the handover (a stopped cleanly after its last checkpoint)",
      );
      await waitFor("the checkpoint is at the last record", async () => {
        const last = (await redis.xrevrange(stream, "+", "-", "COUNT", 1))[0]![0];
        return (await redis.get(redisCheckpointKey(triggerId, stream))) === last;
      });
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it("keeps retrying an unreachable broker with backoff, without throwing, until stopped", { timeout: 30_000 }, async () => {
    const warnings: string[] = [];
    const config = StreamTriggerConfig.parse({ source: "redis", stream: "nowhere", startingPosition: "TRIM_HORIZON" });
    const consumer = new StreamConsumer({
      repos: stores.repos,
      invoker: { invoke: async () => assert.fail("nothing can be read") },
      stats: { record: () => undefined },
      target: { triggerId: "t", functionName: "fn", qualifier: "$LATEST" },
      config,
      // Port 1: nothing listens there.
      source: new RedisStreamSource("redis://127.0.0.1:1", "t", config),
      readWaitMs: 100,
      retryDelayMs: (n) => 10 * n,
      log: { warn: (_o, msg) => void warnings.push(msg) },
    });
    consumer.start();
    await waitFor("three failed attempts to open the source", () => warnings.length >= 3, { timeoutMs: 20_000 });
    await consumer.stop();
    assert.match(warnings[0]!, /reopening it after a backoff/);
  });
});

