/**
 * End-to-end: Stream triggers through the API on a real platform (embedded runner) reading the real
 * Redis (HOTSWAP_STREAM_REDIS_URL) and NATS JetStream (HOTSWAP_NATS_URL): a Node function receives
 * the Kinesis-like event, records of one partition key arrive in order, a poison record is bisected
 * out to the onFailure destination, every batch is an invocation record with the trigger as its
 * source, the trigger's statistics count the failures, and a disabled trigger stops consuming and
 * resumes from its checkpoint when enabled again.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { connect, headers, StringCodec, type NatsConnection } from "nats";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { apiOf, deployFunction, expectOk, nodeCode } from "../support/deploy.ts";
import { TEST_NATS_URL, TEST_REDIS_URL, serviceSkipReason } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";
import { createTrigger, streamItems, STREAM_HANDLER } from "./support.ts";
import { CHECKPOINT_BUCKET, PARTITION_KEY_HEADER } from "../../platform/src/triggers/stream/nats-stream-source.ts";
import { natsCheckpoint, purgeNatsCheckpoint, redisCheckpoint, redisCheckpointKeys } from "./checkpoints.ts";

const sc = StringCodec();

describe("Stream triggers end to end", () => {
  let p: TestPlatform;
  let skip: string | undefined;
  let redis: Redis | undefined;
  let nc: NatsConnection | undefined;
  const cleanups: Array<() => Promise<unknown>> = [];

  before(async () => {
    skip = (await serviceSkipReason("redis", TEST_REDIS_URL)) ?? (await serviceSkipReason("nats", TEST_NATS_URL));
    if (skip) return;
    p = await startPlatform("embedded", { HOTSWAP_STREAM_REDIS_URL: TEST_REDIS_URL, HOTSWAP_NATS_URL: TEST_NATS_URL });
    redis = new Redis(TEST_REDIS_URL);
    nc = await connect({ servers: TEST_NATS_URL });
    await deployFunction(p, { name: "streamfn", code: nodeCode(STREAM_HANDLER) });
  });
  after(async () => {
    await p?.close();
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await redis?.quit();
    await nc?.close();
  });

  const processed = (id: string) => streamItems(p, "streamfn", id);

  it("Redis: in order per key, the poison record bisected out to onFailure, statistics and records, disable and resume", { timeout: 120_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const stream = `hstest:e2e-stream:${randomBytes(5).toString("hex")}`;
    const failures = `${stream}:failures`;
    const seqOf: Record<string, string> = {};
    const add = async (key: string, data: string) => (seqOf[data] = (await redis!.xadd(stream, "*", "partitionKey", key, "data", data))!);
    for (const [key, data] of [["a", "a1"], ["b", "b1"], ["a", "a2"], ["a", "poison"], ["b", "b2"], ["a", "a3"]] as const) await add(key, data);
    const trigger = await createTrigger(p, {
      functionName: "streamfn",
      type: "Stream",
      config: { source: "redis", stream, startingPosition: "TRIM_HORIZON", batchSize: 6, bisectBatchOnFunctionError: true, maximumRetryAttempts: 1, onFailure: { stream: failures } },
    });
    cleanups.push(async () => redis!.del(stream, failures, ...(await redisCheckpointKeys(redis!, trigger.triggerId, stream))));
    await waitFor("the checkpoint reached the last record", async () => (await redisCheckpoint(redis!, trigger.triggerId, stream)) === seqOf.a3, { timeoutMs: 30_000 });
    const items = await processed(trigger.triggerId);
    assert.deepEqual(items.filter((i) => i.key === "a").map((i) => i.data), ["a1", "a2", "a3"]);
    assert.deepEqual(items.filter((i) => i.key === "b").map((i) => i.data), ["b1", "b2"]);
    assert.equal(items[0]!.eventSource, "hotswap:redis");
    assert.equal(items[0]!.eventName, "hotswap:record");
    assert.equal(items[0]!.eventID, `${stream}:${seqOf.a1}`);
    const sent = await redis!.xrange(failures, "-", "+");
    assert.equal(sent.length, 1);
    const record = JSON.parse(sent[0]![1][1]!);
    assert.equal(record.requestContext.condition, "RetryAttemptsExhausted");
    assert.match(record.requestContext.functionArn, /:function:streamfn:\$LATEST$/);
    assert.deepEqual([record.KinesisBatchInfo.startSequenceNumber, record.KinesisBatchInfo.endSequenceNumber, record.KinesisBatchInfo.batchSize], [seqOf.poison, seqOf.poison, 1]);
    const failed = expectOk(await apiOf(p).async.list("streamfn", { source: trigger.triggerId, status: "Failed", limit: 100 }), "failed invocations").invocations;
    assert.ok(failed.length >= 2, `the poison record's attempts are Failed records (got ${failed.length})`);
    assert.match(failed[0]!.error!.errorMessage, /poison record/);
    const stats = await waitFor("statistics flushed", async () => {
      const v = expectOk(await apiOf(p).triggers.get(trigger.triggerId), "get");
      return v.failureCount >= 2 ? v : undefined;
    });
    assert.ok(stats.executionCount > stats.failureCount);
    assert.match(stats.lastError ?? "", /poison record/);

    // Disabled: nothing is consumed; enabled again: it resumes after the checkpoint.
    expectOk(await apiOf(p).triggers.update(trigger.triggerId, { enabled: false }), "disable");
    await new Promise((r) => setTimeout(r, 1500));
    await add("b", "b3");
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await processed(trigger.triggerId)).some((i) => i.data === "b3"), false, "a disabled trigger consumed a record");
    expectOk(await apiOf(p).triggers.update(trigger.triggerId, { enabled: true }), "enable");
    await waitFor("b3 processed after enabling", async () => (await processed(trigger.triggerId)).some((i) => i.data === "b3"), { timeoutMs: 30_000 });
    const again = await processed(trigger.triggerId);
    assert.equal(again.filter((i) => i.data === "a1").length, 1, "records before the checkpoint were not processed again");
  });

  it("Redis: records older than maximumRecordAgeInSeconds go to onFailure as RecordAgeExceeded, uninvoked, and the checkpoint moves past them", { timeout: 60_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const stream = `hstest:e2e-age:${randomBytes(5).toString("hex")}`;
    const failures = `${stream}:failures`;
    // Entry ids carry the arrival time, so old records are written with ids two minutes in the past.
    const old = Date.now() - 120_000;
    const ids = [(await redis!.xadd(stream, `${old}-0`, "data", "old1"))!, (await redis!.xadd(stream, `${old}-1`, "data", "old2"))!, (await redis!.xadd(stream, "*", "data", "fresh"))!];
    const trigger = await createTrigger(p, {
      functionName: "streamfn",
      type: "Stream",
      config: { source: "redis", stream, startingPosition: "TRIM_HORIZON", batchSize: 10, maximumRecordAgeInSeconds: 60, onFailure: { stream: failures } },
    });
    cleanups.push(async () => redis!.del(stream, failures, ...(await redisCheckpointKeys(redis!, trigger.triggerId, stream))));
    await waitFor("the checkpoint reached the fresh record", async () => (await redisCheckpoint(redis!, trigger.triggerId, stream)) === ids[2], { timeoutMs: 30_000 });
    assert.deepEqual((await processed(trigger.triggerId)).map((i) => i.data), ["fresh"]);
    const sent = await redis!.xrange(failures, "-", "+");
    assert.equal(sent.length, 1);
    const record = JSON.parse(sent[0]![1][1]!);
    assert.equal(record.requestContext.condition, "RecordAgeExceeded");
    assert.equal(record.requestContext.approximateInvokeCount, 0);
    assert.equal(record.responseContext, undefined, "no attempt reached the function");
    assert.deepEqual([record.KinesisBatchInfo.startSequenceNumber, record.KinesisBatchInfo.endSequenceNumber, record.KinesisBatchInfo.batchSize], [ids[0], ids[1], 2]);

    // Deleted: its checkpoint goes with it.
    expectOk(await apiOf(p).triggers.delete(trigger.triggerId), "delete", 204);
    await waitFor("the deleted trigger's checkpoint is gone", async () => (await redisCheckpoint(redis!, trigger.triggerId, stream)) === null, { timeoutMs: 15_000 });
  });

  it("refuses names of the platform's own Redis keys and NATS subjects with 400, on create and update", { timeout: 60_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ source: "redis", stream: "hotswap:function-logs" }, /config.stream "hotswap:function-logs" is reserved for the platform's own data/],
      [{ source: "redis", stream: "clicks", onFailure: { stream: "hs:cluster:async" } }, /config.onFailure.stream "hs:cluster:async" is reserved/],
      [{ source: "nats", stream: "ORDERS", subject: "$JS.API.>" }, /config.subject "\$JS.API.>" is reserved/],
      [{ source: "nats", stream: "ORDERS", onFailure: { subject: "$KV.hotswap-stream-checkpoints.x" } }, /config.onFailure.subject .* is reserved/],
      [{ source: "nats", stream: "KV_hotswap-stream-checkpoints" }, /the stream of the checkpoint bucket/],
    ];
    for (const [config, message] of cases) {
      const r = await apiOf(p).triggers.create({ functionName: "streamfn", type: "Stream", config });
      assert.equal(r.ok, false, JSON.stringify(config));
      assert.equal(!r.ok && r.error.status, 400);
      assert.equal(!r.ok && r.error.code, "ValidationError");
      assert.match(!r.ok ? r.error.message : "", message);
    }
    const fine = await createTrigger(p, { functionName: "streamfn", type: "Stream", config: { source: "redis", stream: "hstest:unused" }, enabled: false });
    const moved = await apiOf(p).triggers.update(fine.triggerId, { config: { source: "redis", stream: "hotswap:function-logs" } });
    assert.equal(!moved.ok && moved.error.code, "ValidationError");
    expectOk(await apiOf(p).triggers.delete(fine.triggerId), "delete", 204);
  });

  it("NATS: the subject filter, the partition key header, in order per key, the poison record to the onFailure subject", { timeout: 120_000 }, async (t) => {
    if (skip) return t.skip(skip);
    const id = randomBytes(5).toString("hex");
    const stream = `hstest_e2e_${id}`;
    const subject = `hstest.e2e.${id}.orders`;
    const failSubject = `hstest.e2e.${id}.failures`;
    const jsm = await nc!.jetstreamManager();
    const js = nc!.jetstream();
    await jsm.streams.add({ name: stream, subjects: [`hstest.e2e.${id}.*`] });
    cleanups.push(() => jsm.streams.delete(stream));
    const seqOf: Record<string, string> = {};
    const add = async (key: string, data: string) => {
      const h = headers();
      h.set(PARTITION_KEY_HEADER, key);
      seqOf[data] = String((await js.publish(subject, sc.encode(data), { headers: h })).seq);
      await js.publish(`hstest.e2e.${id}.other`, sc.encode("not for the trigger"));
    };
    for (const [key, data] of [["x", "x1"], ["y", "y1"], ["x", "poison"], ["x", "x2"], ["y", "y2"]] as const) await add(key, data);
    const trigger = await createTrigger(p, {
      functionName: "streamfn",
      type: "Stream",
      config: { source: "nats", stream, subject, startingPosition: "TRIM_HORIZON", batchSize: 5, parallelizationFactor: 2, bisectBatchOnFunctionError: true, maximumRetryAttempts: 0, onFailure: { subject: failSubject } },
    });
    const kv = await js.views.kv(CHECKPOINT_BUCKET);
    cleanups.push(() => purgeNatsCheckpoint(kv, trigger.triggerId, stream));
    await waitFor(
      "the checkpoint reached the last record",
      async () => (await natsCheckpoint(kv, trigger.triggerId, stream)) === seqOf.y2,
      { timeoutMs: 30_000 },
    );
    const items = await processed(trigger.triggerId);
    assert.deepEqual(items.filter((i) => i.key === "x").map((i) => i.data), ["x1", "x2"]);
    assert.deepEqual(items.filter((i) => i.key === "y").map((i) => i.data), ["y1", "y2"]);
    assert.equal(items.some((i) => i.data === "not for the trigger"), false);
    assert.equal(items[0]!.eventSource, "hotswap:nats");
    // The failure subject is captured by the test's stream, so the record is there.
    const failures: any[] = [];
    const last = (await jsm.streams.info(stream)).state.last_seq;
    for (let seq = 1; seq <= last; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (m.subject === failSubject) failures.push(JSON.parse(sc.decode(m.data)));
    }
    assert.equal(failures.length, 1);
    assert.deepEqual([failures[0].KinesisBatchInfo.startSequenceNumber, failures[0].KinesisBatchInfo.endSequenceNumber], [seqOf.poison, seqOf.poison]);
    // Sent whole, then in the bisected half [x1, poison], then alone (maximumRetryAttempts 0): three invocations carried it.
    assert.equal(failures[0].requestContext.approximateInvokeCount, 3);

    // Deleted: its checkpoint goes with it; a trigger created again on the stream starts at its own starting position.
    expectOk(await apiOf(p).triggers.delete(trigger.triggerId), "delete", 204);
    await waitFor("the deleted trigger's checkpoint is gone", async () => (await natsCheckpoint(kv, trigger.triggerId, stream)) === undefined, { timeoutMs: 15_000 });
    const again = await createTrigger(p, { functionName: "streamfn", type: "Stream", config: { source: "nats", stream, subject, startingPosition: "TRIM_HORIZON", batchSize: 1, maximumRetryAttempts: 0 } });
    cleanups.push(() => purgeNatsCheckpoint(kv, again.triggerId, stream));
    await waitFor("the new trigger read the stream from its start", async () => (await processed(again.triggerId)).some((i) => i.data === "x1"), { timeoutMs: 30_000 });
  });
});
