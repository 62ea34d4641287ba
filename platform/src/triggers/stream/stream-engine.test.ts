/**
 * The stream engine across replicas (engines on one state store, real Redis streams): triggers are
 * shared out (each replica runs its share under per-trigger leases), a clean stop hands a replica's
 * triggers over at their checkpoints with nothing processed twice, a replica cut off from the state
 * store loses its leases and its triggers move, and a deleted trigger, or one moved to another
 * stream, leaves no checkpoint behind.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import type { InvokeResult } from "../../router/invoker.ts";
import type { StateStore } from "../../../../shared/state/state-store.ts";
import { openEmbeddedStores, type EmbeddedStores } from "../../../../tests/support/embedded-stores.ts";
import { TEST_REDIS_URL, serviceSkipReason } from "../../../../tests/support/services.ts";
import { waitFor } from "../../../../tests/support/wait-for.ts";
import type { KinesisEventRecord } from "./kinesis-event.ts";
import { RedisStreamSource, redisCheckpointKey } from "./redis-stream-source.ts";
import { StreamConsumer } from "./stream-consumer.ts";
import { StreamTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { StreamEngine } from "./stream-engine.ts";

/** A view of `store` that can be cut off: every lease and hash call rejects while `cut`. */
function severable(store: StateStore): StateStore & { cut: boolean } {
  const s = Object.create(store) as StateStore & { cut: boolean };
  s.cut = false;
  for (const m of ["acquireLease", "renewLease", "releaseLease", "hset", "hgetall", "hdel"] as const) {
    const real = (store[m] as (...a: unknown[]) => Promise<unknown>).bind(store);
    (s as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => (s.cut ? Promise.reject(new Error("state store unreachable")) : real(...a));
  }
  return s;
}

/** The cluster the engines here belong to (checkpoint keys are scoped to it). */
const CLUSTER = `test-${randomBytes(4).toString("hex")}`;

describe("StreamEngine across replicas", () => {
  let skip: string | undefined;
  let stores: EmbeddedStores;
  let redis: Redis;
  const prefix = `hstest:stream-engine:${randomBytes(5).toString("hex")}`;
  const created: Array<{ id: string; stream: string }> = [];
  const engines: StreamEngine[] = [];
  /** Checkpoint keys written by hand, deleted at the end. */
  const strays: string[] = [];
  /** What each replica's function saw: the trigger, the record's data. */
  const seen: Array<{ replica: string; trigger: string; data: string }> = [];

  before(async () => {
    skip = await serviceSkipReason("redis", TEST_REDIS_URL);
    stores = await openEmbeddedStores();
    if (!skip) redis = new Redis(TEST_REDIS_URL);
  });
  after(async () => {
    for (const e of engines) await e.stop();
    if (redis) {
      for (const c of created) await redis.del(c.stream, redisCheckpointKey(CLUSTER, c.id, c.stream));
      if (strays.length > 0) await redis.del(...strays);
      await redis.quit();
    }
    await stores.close();
  });

  async function trigger(name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; stream: string }> {
    const stream = `${prefix}:${name}`;
    const t = await stores.repos.triggers.create({ functionName: "fn", type: "Stream", config: { source: "redis", stream, startingPosition: "TRIM_HORIZON", batchSize: 2, ...extra } });
    created.push({ id: t.id, stream });
    return { id: t.id, stream };
  }

  function engine(replica: string, state: StateStore = stores.state): StreamEngine {
    const e = new StreamEngine({
      repos: stores.repos,
      invoker: {
        invoke: async (_fn: string, _q: string | undefined, payload: Buffer): Promise<InvokeResult> => {
          for (const r of (JSON.parse(payload.toString()) as { Records: KinesisEventRecord[] }).Records) {
            seen.push({ replica, trigger: r.eventSourceARN.slice(r.eventSourceARN.indexOf(":stream/") + 1), data: Buffer.from(r.kinesis.data, "base64").toString() });
          }
          await new Promise((r) => setTimeout(r, 20));
          return { spec: { version: 1 } as InvokeResult["spec"], outcome: { kind: "success", payload: Buffer.from("null"), coldStart: false, start: "warm", durationMs: 1 } };
        },
      },
      stats: { record: () => undefined },
      connections: { redisUrl: TEST_REDIS_URL, cluster: CLUSTER },
      state,
      namespace: "hs:test:",
      holder: replica,
      leaseTtlMs: 1500,
      intervalMs: 100,
      readWaitMs: 100,
      retryDelayMs: () => 20,
      sweepIntervalMs: 200,
      log: { warn: () => undefined },
    });
    engines.push(e);
    return e;
  }

  /** What the function saw of `stream`, in order. */
  const dataOf = (stream: string) => seen.filter((s) => s.trigger === `stream/${stream}`).map((s) => s.data);

  it("shares triggers out over the replicas, hands a stopped replica's over at their checkpoints (nothing twice), and moves a cut-off replica's", { timeout: 90_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const triggers = await Promise.all(["t1", "t2", "t3", "t4"].map((n) => trigger(n)));
    const a = engine("a");
    const b = engine("b");
    const cutC = severable(stores.state);
    const c = engine("c", cutC);
    await a.start();
    await b.start();
    await waitFor("a and b hold two triggers each", () => a.consuming.length === 2 && b.consuming.length === 2, { timeoutMs: 20_000 });
    assert.deepEqual([...a.consuming, ...b.consuming].sort(), triggers.map((x) => x.id).sort(), "every trigger on exactly one replica");
    for (let i = 0; i < 10; i++) for (const x of triggers) await redis.xadd(x.stream, "*", "partitionKey", "k", "data", String(i));
    await waitFor("a few records of each trigger processed", () => triggers.every((x) => dataOf(x.stream).length >= 2));

    // A clean stop: b's triggers move to a, resuming at b's checkpoints.
    const bHeld = b.consuming;
    await b.stop();
    await waitFor("a took b's triggers", () => a.consuming.length === 4, { timeoutMs: 20_000 });
    await waitFor("every record processed", () => triggers.every((x) => new Set(dataOf(x.stream)).size === 10), { timeoutMs: 30_000 });
    for (const x of triggers) {
      const got = dataOf(x.stream).map(Number);
      assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => i), `trigger ${x.id}: every record once, in order, across the handover`);
    }
    assert.ok(bHeld.every((id) => a.consuming.includes(id)));

    // A third replica joins and takes its share; then it is cut off from the state store (as a
    // crashed or partitioned replica): its leases lapse, its consumers stop, and a takes them back.
    await c.start();
    await waitFor("c took a share", () => c.consuming.length === 2 && a.consuming.length === 2, { timeoutMs: 20_000 });
    const cHeld = c.consuming;
    cutC.cut = true;
    await waitFor("c's consumers stopped", () => c.consuming.length === 0, { timeoutMs: 10_000 });
    await waitFor("a holds every trigger again", () => a.consuming.length === 4, { timeoutMs: 20_000 });
    assert.ok(cHeld.every((id) => a.consuming.includes(id)));
    for (let i = 10; i < 14; i++) for (const x of triggers) await redis.xadd(x.stream, "*", "partitionKey", "k", "data", String(i));
    await waitFor("the new records processed", () => triggers.every((x) => new Set(dataOf(x.stream)).size === 14), { timeoutMs: 30_000 });
    await a.stop();
    await c.stop();
    cutC.cut = false;
  });

  it("deletes a deleted trigger's checkpoint, and the old one of a trigger moved to another stream", { timeout: 60_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const gone = await trigger("gone");
    const moved = await trigger("moved");
    const next = `${prefix}:moved-next`;
    created.push({ id: moved.id, stream: next });
    for (const x of [gone, moved]) await redis.xadd(x.stream, "*", "data", "1");
    await redis.xadd(next, "*", "data", "before the move");
    // Checkpoints of triggers this database does not have: this cluster's (an orphan, swept) and
    // another installation's sharing the Redis (never touched).
    const orphan = redisCheckpointKey(CLUSTER, randomUUID(), `${prefix}:orphan`);
    const foreign = redisCheckpointKey(`${CLUSTER}-other`, randomUUID(), `${prefix}:foreign`);
    await redis.set(orphan, "1-0");
    await redis.set(foreign, "1-0");
    strays.push(orphan, foreign);
    const e = engine("solo");
    await e.start();
    for (const x of [gone, moved]) {
      await waitFor(`${x.stream} checkpointed`, async () => (await redis.get(redisCheckpointKey(CLUSTER, x.id, x.stream))) !== null);
    }
    assert.equal(await stores.repos.triggers.delete(gone.id), true);
    await e.poke();
    assert.equal(await redis.get(redisCheckpointKey(CLUSTER, gone.id, gone.stream)), null, "the deleted trigger's checkpoint is gone");
    assert.equal(e.consuming.includes(gone.id), false);

    await stores.repos.triggers.update(moved.id, { config: { source: "redis", stream: next, startingPosition: "TRIM_HORIZON", batchSize: 2 } });
    await e.poke();
    assert.equal(await redis.get(redisCheckpointKey(CLUSTER, moved.id, moved.stream)), null, "the old stream's checkpoint is gone");
    await waitFor("the moved trigger reads its new stream from its starting position", () => dataOf(next).includes("before the move"));
    assert.ok(e.consuming.includes(moved.id));

    // Disabled (its lease given up, its checkpoint kept), then deleted: the sweep removes the checkpoint.
    await stores.repos.triggers.update(moved.id, { enabled: false });
    await waitFor("the disabled trigger is no longer consumed", () => !e.consuming.includes(moved.id));
    assert.notEqual(await redis.get(redisCheckpointKey(CLUSTER, moved.id, next)), null, "a disabled trigger keeps its checkpoint");
    assert.equal(await stores.repos.triggers.delete(moved.id), true);
    await waitFor("the sweep removed the deleted trigger's checkpoint", async () => (await redis.get(redisCheckpointKey(CLUSTER, moved.id, next))) === null, { timeoutMs: 10_000 });
    assert.equal(await redis.get(orphan), null, "the sweep removed this cluster's checkpoint of a trigger it does not have");
    assert.equal(await redis.get(foreign), "1-0", "another cluster's checkpoint sharing the Redis is left alone");
    await e.stop();
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
      source: new RedisStreamSource("redis://127.0.0.1:1", CLUSTER, "t", config),
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

