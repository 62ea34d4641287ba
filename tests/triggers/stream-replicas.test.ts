/**
 * A Redis Stream trigger across two control-plane replicas sharing Postgres, Redis and S3: only
 * the holder of the `streams` lease consumes (the first replica, started first), and when it shuts
 * down mid-stream the other takes over from the checkpoint in Redis: every record is processed, in
 * order per partition key, none skipped; records processed twice (at-least-once around the handover)
 * are counted in the output and bounded by one batch.
 *   Needs Postgres and Redis (see tests/support/services.ts).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { redisCheckpointKey } from "../../platform/src/triggers/stream/redis-stream-source.ts";
import { deployFunction, nodeCode } from "../support/deploy.ts";
import { serversSkipReason } from "../support/platform.ts";
import { TEST_REDIS_URL } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";
import { createTrigger, startReplicas, streamItems, STREAM_HANDLER, type Replica } from "./support.ts";

describe("Stream triggers across two control-plane replicas", { timeout: 240_000 }, () => {
  const replicas: Replica[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  let skip: string | undefined;
  let redis: Redis | undefined;
  const { key } = generateApiKey();

  before(async () => {
    skip = await serversSkipReason();
    if (skip) return;
    replicas.push(...(await startReplicas(2, key, "streams", cleanups)).replicas);
    redis = new Redis(TEST_REDIS_URL);
  });
  after(async () => {
    for (const r of [...replicas].reverse()) await r.server.close().catch(() => {});
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await redis?.quit();
  });

  it("hands the consumer over at the checkpoint when the leader shuts down", { timeout: 180_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const [a, b] = replicas as [Replica, Replica];
    await deployFunction(a, { name: "streamfn", code: nodeCode(STREAM_HANDLER), environment: { DELAY_MS: "150" } });
    const stream = `hstest:stream-replicas:${randomBytes(5).toString("hex")}`;
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await redis!.xadd(stream, "*", "partitionKey", i % 2 ? "odd" : "even", "data", String(i)))!);
    const trigger = await createTrigger(b, { functionName: "streamfn", type: "Stream", config: { source: "redis", stream, startingPosition: "TRIM_HORIZON", batchSize: 2 } });
    cleanups.push(() => redis!.del(stream, redisCheckpointKey(trigger.triggerId, stream)));
    await waitFor("replica a (the lease holder) processed a few records", async () => (await streamItems(b, "streamfn", trigger.triggerId)).length >= 6, { timeoutMs: 60_000 });
    await a.server.close();
    const before = (await streamItems(b, "streamfn", trigger.triggerId)).length;
    assert.ok(before < 30, `the leader finished the stream (${before} records) before it was stopped; nothing was handed over`);
    await waitFor("the checkpoint reached the last record", async () => (await redis!.get(redisCheckpointKey(trigger.triggerId, stream))) === ids[29], { timeoutMs: 90_000 });
    const items = await streamItems(b, "streamfn", trigger.triggerId);
    const seen = items.map((i) => Number(i.data));
    const duplicates = seen.length - new Set(seen).size;
    t.diagnostic(`handed over after ${before} records; ${duplicates} processed twice`);
    assert.deepEqual([...new Set(seen)].sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i), "no record skipped");
    assert.ok(duplicates <= 2, `at most the batch in flight at the handover runs twice (got ${duplicates})`);
    for (const k of ["even", "odd"]) {
      const order = [...new Set(items.filter((i) => i.key === k).map((i) => Number(i.data)))];
      assert.deepEqual(order, [...order].sort((x, y) => x - y), `${k} out of order: ${order}`);
    }
  });
});
