/**
 * Contract suite of a Stream trigger's consumer on a real broker (run by redis-stream-source.test.ts
 * and nats-stream-source.test.ts): starting positions, ordering per partition key under
 * parallelism, the checkpoint stored only after success (a consumer stopped mid-way and restarted
 * resumes at the first unfinished record), bisect, retries then the on-failure destination, and
 * batchItemFailures. The function is a scripted stand-in for the invocation pipeline; invocation
 * records go to an embedded database.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { StreamTriggerConfig } from "../../../../protocol/api/triggers.ts";
import type { InvokeOutcome } from "../../../../protocol/invoke.ts";
import { openEmbeddedStores, type EmbeddedStores } from "../../../../tests/support/embedded-stores.ts";
import { waitFor } from "../../../../tests/support/wait-for.ts";
import type { InvokeResult } from "../../router/invoker.ts";
import type { KinesisEventRecord, StreamFailureRecord } from "./kinesis-event.ts";
import { StreamConsumer } from "./stream-consumer.ts";
import type { StreamSource } from "./stream-source.ts";
import { laneOf } from "./window-processor.ts";

export interface BrokerStream {
  /** The config fields naming it: stream, and subject for NATS. */
  config: { stream: string; subject?: string };
  /** The onFailure destination of this stream's triggers. */
  onFailure: { stream?: string; subject?: string };
  /** Append a record; resolves with its sequence number. */
  append(partitionKey: string, data: string): Promise<string>;
  /** On-failure records delivered so far. */
  failures(): Promise<StreamFailureRecord[]>;
  /** The checkpoint stored for a trigger, if any. */
  checkpoint(triggerId: string): Promise<string | undefined>;
  /** Delete the stream, its failure destination and its checkpoints. */
  remove(triggerIds: string[]): Promise<void>;
}

export interface BrokerHarness {
  eventSource: string;
  /** How long one read waits (NATS fetches expire after at least a second). */
  readWaitMs: number;
  createStream(): Promise<BrokerStream>;
  source(triggerId: string, config: StreamTriggerConfig): StreamSource;
  close(): Promise<void>;
}

/** What the scripted function answers for a batch: a result object, or "throw". */
type Script = (records: KinesisEventRecord[], call: number) => unknown | Promise<unknown>;

interface Run {
  triggerId: string;
  consumer: StreamConsumer;
  /** Each invocation's records, as the data strings. */
  calls: string[][];
  events: KinesisEventRecord[][];
}

const dataOf = (r: KinesisEventRecord) => Buffer.from(r.kinesis.data, "base64").toString("utf8");

export function streamConsumerContract(name: string, harness: () => Promise<BrokerHarness | string>): void {
  describe(`Stream trigger consumer on ${name}`, () => {
    let h: BrokerHarness;
    let stores: EmbeddedStores;
    let skip: string | undefined;
    const streams: Array<{ s: BrokerStream; triggers: string[] }> = [];
    const running: StreamConsumer[] = [];

    before(async () => {
      const got = await harness();
      if (typeof got === "string") skip = got;
      else h = got;
      stores = await openEmbeddedStores();
    });
    after(async () => {
      await Promise.all(running.map((c) => c.stop()));
      for (const { s, triggers } of streams) await s.remove(triggers);
      await h?.close();
      await stores.close();
    });

    async function stream(): Promise<BrokerStream> {
      const s = await h.createStream();
      streams.push({ s, triggers: [] });
      return s;
    }

    function start(s: BrokerStream, config: Record<string, unknown>, script: Script, triggerId = randomUUID(), now?: () => number): Run {
      streams.find((x) => x.s === s)!.triggers.push(triggerId);
      const parsed = StreamTriggerConfig.parse({ source: name === "NATS JetStream" ? "nats" : "redis", ...s.config, onFailure: s.onFailure, ...config });
      const run: Run = { triggerId, consumer: undefined as unknown as StreamConsumer, calls: [], events: [] };
      const invoker = {
        invoke: async (_fn: string, _q: string | undefined, payload: Buffer): Promise<InvokeResult> => {
          const records = (JSON.parse(payload.toString("utf8")) as { Records: KinesisEventRecord[] }).Records;
          run.calls.push(records.map(dataOf));
          run.events.push(records);
          const answer = await script(records, run.calls.length);
          const base = { coldStart: false, start: "warm", durationMs: 1 } as const;
          const outcome: InvokeOutcome =
            answer === "throw"
              ? { ...base, kind: "function-error", payload: Buffer.from(JSON.stringify({ errorType: "Error", errorMessage: "poison" })) }
              : { ...base, kind: "success", payload: Buffer.from(JSON.stringify(answer ?? null)) };
          return { spec: { version: 1 } as InvokeResult["spec"], outcome };
        },
      };
      run.consumer = new StreamConsumer({
        repos: stores.repos,
        invoker,
        stats: { record: () => undefined },
        target: { triggerId, functionName: "fn", qualifier: "$LATEST" },
        config: parsed,
        source: h.source(triggerId, parsed),
        readWaitMs: h.readWaitMs,
        retryDelayMs: () => 20,
        log: { warn: () => undefined },
        ...(now ? { now } : {}),
      });
      running.push(run.consumer);
      run.consumer.start();
      return run;
    }

    const all = (run: Run) => run.calls.flat();

    it("starts at TRIM_HORIZON, LATEST (pinned at the first start) or AT_TIMESTAMP", async (t) => {
      if (skip) return t.skip(skip);
      const s = await stream();
      await s.append("k", "1");
      await new Promise((r) => setTimeout(r, 30));
      const between = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 30));
      await s.append("k", "2");
      const horizon = start(s, { startingPosition: "TRIM_HORIZON" }, () => null);
      const latest = start(s, { startingPosition: "LATEST" }, () => null);
      const at = start(s, { startingPosition: "AT_TIMESTAMP", startingPositionTimestamp: between }, () => null);
      await waitFor("LATEST pinned the current end as its checkpoint", () => s.checkpoint(latest.triggerId));
      await s.append("k", "3");
      await waitFor("every consumer saw record 3", () => [horizon, latest, at].every((r) => all(r).includes("3")));
      assert.deepEqual(all(horizon), ["1", "2", "3"]);
      assert.deepEqual(all(latest), ["3"]);
      assert.deepEqual(all(at), ["2", "3"]);
      const e = horizon.events[0]![0]!;
      assert.equal(e.eventSource, h.eventSource);
      assert.equal(e.eventName, "hotswap:record");
      assert.equal(e.eventVersion, "1.0");
      assert.equal(e.kinesis.kinesisSchemaVersion, "1.0");
      assert.equal(e.kinesis.partitionKey, "k");
      assert.equal(e.eventID, `${s.config.stream}:${e.kinesis.sequenceNumber}`);
      assert.ok(Math.abs(e.kinesis.approximateArrivalTimestamp * 1000 - Date.now()) < 60_000, "arrival time is about now");
    });

    it("keeps every partition key in order and one batch per key at a time, with keys in parallel", async (t) => {
      if (skip) return t.skip(skip);
      const s = await stream();
      const keys: string[] = [];
      for (let i = 0; keys.length < 4; i++) if (!keys.some((k) => laneOf(k, 4) === laneOf(`user-${i}`, 4))) keys.push(`user-${i}`);
      for (let i = 0; i < 40; i++) await s.append(keys[i % 4]!, `${keys[i % 4]}#${i}`);
      const busy = new Set<string>();
      let overlap = 0;
      let clash = "";
      const run = start(s, { startingPosition: "TRIM_HORIZON", batchSize: 3, parallelizationFactor: 4 }, async (records) => {
        const ks = new Set(records.map((r) => r.kinesis.partitionKey));
        for (const k of ks) if (busy.has(k)) clash = k;
        for (const k of ks) busy.add(k);
        overlap = Math.max(overlap, busy.size);
        await new Promise((r) => setTimeout(r, 15));
        for (const k of ks) busy.delete(k);
        return null;
      });
      await waitFor("all 40 records processed", () => all(run).length >= 40);
      assert.equal(clash, "", `key ${clash} was in two batches at once`);
      assert.ok(overlap > 1, "batches of different keys never ran at once");
      assert.equal(all(run).length, 40, "each record once");
      for (const k of keys) {
        const order = all(run).filter((d) => d.startsWith(`${k}#`)).map((d) => Number(d.split("#")[1]));
        assert.deepEqual(order, [...order].sort((a, b) => a - b), `${k} out of order: ${order}`);
      }
    });

    it("stores the checkpoint only after success: a consumer stopped mid-way resumes at the first unfinished record", async (t) => {
      if (skip) return t.skip(skip);
      const s = await stream();
      const seq: string[] = [];
      for (let i = 1; i <= 6; i++) seq.push(await s.append("k", String(i)));
      const triggerId = randomUUID();
      const first = start(s, { startingPosition: "TRIM_HORIZON", batchSize: 1 }, (records) => (dataOf(records[0]!) === "4" ? "throw" : null), triggerId);
      await waitFor("record 4 failed twice", () => first.calls.filter((c) => c[0] === "4").length >= 2);
      await first.consumer.stop();
      assert.deepEqual(all(first).filter((d) => d !== "4"), ["1", "2", "3"]);
      assert.equal(await s.checkpoint(triggerId), seq[2], "the checkpoint is record 3's: 4 never succeeded");
      const second = start(s, { startingPosition: "TRIM_HORIZON", batchSize: 1 }, () => null, triggerId);
      await waitFor("the restarted consumer reached record 6", () => all(second).includes("6"));
      assert.deepEqual(all(second), ["4", "5", "6"], "resumed at record 4, nothing before it again");
      await waitFor("the checkpoint moved to record 6", async () => (await s.checkpoint(triggerId)) === seq[5]);
    });

    it("retries a failing batch maximumRetryAttempts times, then delivers Lambda's on-failure record and moves on", async (t) => {
      if (skip) return t.skip(skip);
      const s = await stream();
      const seq: string[] = [];
      for (let i = 1; i <= 3; i++) seq.push(await s.append("k", String(i)));
      const run = start(s, { startingPosition: "TRIM_HORIZON", batchSize: 3, maximumRetryAttempts: 2 }, (records) => (records.some((r) => dataOf(r) === "2") ? "throw" : null));
      const [failure] = await waitFor("the on-failure record", async () => {
        const f = await s.failures();
        return f.length > 0 ? f : undefined;
      });
      assert.deepEqual(run.calls.slice(0, 3), [["1", "2", "3"], ["1", "2", "3"], ["1", "2", "3"]]);
      assert.equal(failure!.requestContext.condition, "RetryAttemptsExhausted");
      assert.equal(failure!.requestContext.approximateInvokeCount, 3);
      assert.match(failure!.requestContext.functionArn, /:function:fn:\$LATEST$/);
      assert.equal(failure!.responseContext?.functionError, "Unhandled");
      assert.equal(failure!.version, "1.0");
      assert.deepEqual(
        { start: failure!.KinesisBatchInfo.startSequenceNumber, end: failure!.KinesisBatchInfo.endSequenceNumber, size: failure!.KinesisBatchInfo.batchSize, shard: failure!.KinesisBatchInfo.shardId },
        { start: seq[0], end: seq[2], size: 3, shard: s.config.stream },
      );
      await waitFor("the checkpoint moved past the failed batch", async () => (await s.checkpoint(run.triggerId)) === seq[2]);
      await s.append("k", "4");
      await waitFor("the next record is processed", () => all(run).includes("4"));
      assert.equal(run.calls.length, 4, "no more attempts at the failed batch");
    });

    it("sends records older than maximumRecordAgeInSeconds to onFailure (RecordAgeExceeded) uninvoked and checkpoints past them", async (t) => {
      if (skip) return t.skip(skip);
      const s = await stream();
      const seq: string[] = [];
      for (let i = 1; i <= 3; i++) seq.push(await s.append("k", String(i)));
      // The broker's arrival times cannot be backdated, so the consumer's clock runs two minutes ahead
      // while the first records are read, then is set right for the later ones.
      let skew = 120_000;
      const run = start(s, { startingPosition: "TRIM_HORIZON", batchSize: 10, maximumRecordAgeInSeconds: 60 }, () => null, randomUUID(), () => Date.now() + skew);
      const [failure] = await waitFor("the on-failure record", async () => {
        const f = await s.failures();
        return f.length > 0 ? f : undefined;
      });
      await waitFor("the checkpoint moved past the old records", async () => (await s.checkpoint(run.triggerId)) === seq[2]);
      assert.deepEqual(run.calls, [], "old records never reach the function");
      assert.equal(failure!.requestContext.condition, "RecordAgeExceeded");
      assert.equal(failure!.requestContext.approximateInvokeCount, 0);
      assert.equal(failure!.responseContext, undefined);
      assert.deepEqual([failure!.KinesisBatchInfo.startSequenceNumber, failure!.KinesisBatchInfo.endSequenceNumber, failure!.KinesisBatchInfo.batchSize], [seq[0], seq[2], 3]);
      skew = 0;
      await s.append("k", "4");
      await waitFor("a fresh record is processed", () => all(run).includes("4"));
      assert.deepEqual(run.calls, [["4"]]);
      assert.equal((await s.failures()).length, 1);
    });

    it("bisects a failing batch so only the poison record goes to onFailure", async (t) => {
      if (skip) return t.skip(skip);
      const s = await stream();
      const seq: string[] = [];
      for (let i = 1; i <= 8; i++) seq.push(await s.append("k", String(i)));
      const run = start(s, { startingPosition: "TRIM_HORIZON", batchSize: 8, bisectBatchOnFunctionError: true, maximumRetryAttempts: 1 }, (records) =>
        records.some((r) => dataOf(r) === "6") ? "throw" : null,
      );
      await waitFor("the checkpoint reached record 8", async () => (await s.checkpoint(run.triggerId)) === seq[7]);
      const failures = await s.failures();
      assert.equal(failures.length, 1);
      assert.equal(failures[0]!.KinesisBatchInfo.startSequenceNumber, seq[5]);
      assert.equal(failures[0]!.KinesisBatchInfo.endSequenceNumber, seq[5]);
      assert.equal(failures[0]!.KinesisBatchInfo.batchSize, 1);
      const succeeded = run.calls.filter((c) => !c.includes("6")).flat().sort();
      assert.deepEqual(succeeded, ["1", "2", "3", "4", "5", "7", "8"]);
    });

    it("honours batchItemFailures: checkpoints before the first failed record and retries from it", async (t) => {
      if (skip) return t.skip(skip);
      const s = await stream();
      const seq: string[] = [];
      for (let i = 1; i <= 5; i++) seq.push(await s.append("k", String(i)));
      const run = start(s, { startingPosition: "TRIM_HORIZON", batchSize: 5 }, (records, call) => {
        if (call > 1) return { batchItemFailures: [] };
        const bad = records.filter((r) => ["3", "5"].includes(dataOf(r)));
        return { batchItemFailures: bad.map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })) };
      });
      await waitFor("the checkpoint reached record 5", async () => (await s.checkpoint(run.triggerId)) === seq[4]);
      assert.deepEqual(run.calls, [["1", "2", "3", "4", "5"], ["3", "4", "5"]]);
      const records = (await stores.repos.invocations.list("fn", { source: run.triggerId, limit: 10 })).records;
      assert.deepEqual(records.map((r) => r.status).sort(), ["Failed", "Succeeded"], "one record per invocation, with the trigger as source");
    });
  });
}
