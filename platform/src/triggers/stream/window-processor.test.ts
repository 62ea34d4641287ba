/** Unit tests of the window processor's decisions (lanes, bisect, retries, partial failures, checkpoints) with a scripted function. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StreamRecord } from "./kinesis-event.ts";
import { laneOf, processWindow, type BatchOutcome, type WindowProcessorOptions } from "./window-processor.ts";

const rec = (seq: number, key = "k"): StreamRecord => ({ sequenceNumber: String(seq), partitionKey: key, data: Buffer.from(`r${seq}`), arrivedAt: 1000 + seq });
const seqs = (b: readonly StreamRecord[]) => b.map((r) => Number(r.sequenceNumber));
const ok: BatchOutcome = { kind: "success" };
const fail = (counted = true): BatchOutcome => ({ kind: "failure", counted, attempt: { requestId: "r", statusCode: 200, functionError: "Unhandled" } });

function harness(answer: (batch: readonly StreamRecord[], call: number) => BatchOutcome | Promise<BatchOutcome>, over: Partial<WindowProcessorOptions> = {}) {
  const calls: number[][] = [];
  const checkpoints: string[] = [];
  const failures: Array<{ seqs: number[]; invokes: number; condition?: string }> = [];
  const abort = new AbortController();
  const o: WindowProcessorOptions = {
    batchSize: 10,
    parallelizationFactor: 1,
    bisectBatchOnFunctionError: false,
    maximumRetryAttempts: -1,
    maximumRecordAgeMs: -1,
    now: () => 0,
    invoke: async (batch) => {
      calls.push(seqs(batch));
      return answer(batch, calls.length);
    },
    sendFailure: async (batch, f) => void failures.push({ seqs: seqs(batch), invokes: f.approximateInvokeCount, ...(f.condition === "RetryAttemptsExhausted" ? {} : { condition: f.condition }) }),
    checkpoint: async (seq) => void checkpoints.push(seq),
    retryDelayMs: () => 1,
    onError: () => undefined,
    signal: abort.signal,
    ...over,
  };
  return { o, calls, checkpoints, failures, abort };
}

describe("processWindow", () => {
  it("keeps each partition key in order and never runs one key twice at once, while lanes run in parallel", async () => {
    // Keys that land in different lanes of 3, so parallelism is observable.
    const keys: string[] = [];
    for (let i = 0; keys.length < 3; i++) if (!keys.some((k) => laneOf(k, 3) === laneOf(`key${i}`, 3))) keys.push(`key${i}`);
    const window = Array.from({ length: 30 }, (_, i) => rec(i + 1, keys[i % 3]!));
    const busy = new Set<string>();
    let maxParallel = 0;
    const seen = new Map<string, number[]>();
    const h = harness(async (batch) => {
      const ks = new Set(batch.map((r) => r.partitionKey));
      for (const k of ks) assert.equal(busy.has(k), false, `key ${k} ran twice at once`);
      for (const k of ks) busy.add(k);
      maxParallel = Math.max(maxParallel, busy.size);
      await new Promise((r) => setTimeout(r, 5));
      for (const r of batch) seen.set(r.partitionKey, [...(seen.get(r.partitionKey) ?? []), Number(r.sequenceNumber)]);
      for (const k of ks) busy.delete(k);
      return ok;
    }, { batchSize: 2, parallelizationFactor: 3 });
    assert.equal(await processWindow(window, h.o), true);
    for (const k of keys) {
      const got = seen.get(k)!;
      assert.deepEqual(got, [...got].sort((a, b) => a - b), `key ${k} out of order`);
      assert.equal(got.length, 10);
    }
    assert.ok(maxParallel > 1, "lanes ran one at a time");
    assert.equal(h.checkpoints.at(-1), "30");
    // The checkpoint only ever moves forward.
    assert.deepEqual(h.checkpoints.map(Number), [...h.checkpoints.map(Number)].sort((a, b) => a - b));
  });

  it("checkpoints only a prefix of finished records: a stuck lane holds it back", async () => {
    const [a, b] = ["a", "b"].map((p) => {
      for (let i = 0; ; i++) if (laneOf(`${p}${i}`, 2) === (p === "a" ? 0 : 1)) return `${p}${i}`;
    }) as [string, string];
    const window = [rec(1, a), rec(2, b), rec(3, a), rec(4, a)];
    const h = harness((batch) => (batch.some((r) => r.partitionKey === b) ? fail() : ok), { batchSize: 1, parallelizationFactor: 2 });
    const done = processWindow(window, h.o);
    await new Promise((r) => setTimeout(r, 50));
    h.abort.abort();
    assert.equal(await done, false);
    assert.deepEqual(h.checkpoints, ["1"], "records 3 and 4 succeeded but 2 had not, so the checkpoint stays at 1");
  });

  it("retries a failing batch maximumRetryAttempts times, then sends it to onFailure and moves past it", async () => {
    const h = harness((batch) => (batch.some((r) => r.sequenceNumber === "2") ? fail() : ok), { batchSize: 3, maximumRetryAttempts: 2 });
    assert.equal(await processWindow([rec(1), rec(2), rec(3), rec(4)], h.o), true);
    assert.deepEqual(h.calls, [[1, 2, 3], [1, 2, 3], [1, 2, 3], [4]]);
    assert.deepEqual(h.failures, [{ seqs: [1, 2, 3], invokes: 3 }]);
    assert.equal(h.checkpoints.at(-1), "4");
  });

  it("bisects a failing batch down to the poison record, which alone goes to onFailure", async () => {
    const h = harness((batch) => (batch.some((r) => r.sequenceNumber === "6") ? fail() : ok), { batchSize: 8, bisectBatchOnFunctionError: true, maximumRetryAttempts: 1 });
    assert.equal(await processWindow(Array.from({ length: 8 }, (_, i) => rec(i + 1)), h.o), true);
    assert.deepEqual(h.calls, [[1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4], [5, 6, 7, 8], [5, 6], [5], [6], [6], [7, 8]]);
    assert.deepEqual(h.failures.map((f) => f.seqs), [[6]]);
    assert.equal(h.checkpoints.at(-1), "8");
  });

  it("honours batchItemFailures: what precedes the first failed record is done, the rest is retried from it", async () => {
    const h = harness((batch, call) => (call === 1 ? { kind: "partial", failedSequenceNumber: "3", attempt: { requestId: "r", statusCode: 200 } } : ok), { batchSize: 5 });
    assert.equal(await processWindow([rec(1), rec(2), rec(3), rec(4), rec(5)], h.o), true);
    assert.deepEqual(h.calls, [[1, 2, 3, 4, 5], [3, 4, 5]]);
    assert.deepEqual(h.checkpoints, ["2", "5"]);
  });

  it("sends records older than maximumRecordAgeInSeconds to onFailure without invoking them, and checkpoints past them", async () => {
    // rec(n) arrived at 1000 + n; at now = 1104 with a 100 ms limit, records 1..3 are too old.
    const h = harness(() => ok, { batchSize: 10, maximumRecordAgeMs: 100, now: () => 1104 });
    assert.equal(await processWindow([rec(1), rec(2), rec(3), rec(4), rec(5)], h.o), true);
    assert.deepEqual(h.failures, [{ seqs: [1, 2, 3], invokes: 0, condition: "RecordAgeExceeded" }]);
    assert.deepEqual(h.calls, [[4, 5]]);
    assert.equal(h.checkpoints.at(-1), "5");
  });

  it("retries a failing batch (retries unlimited) until its records are too old, then discards them as RecordAgeExceeded", async () => {
    let now = 1000;
    const h = harness(() => {
      now += 40;
      return fail();
    }, { maximumRecordAgeMs: 100, now: () => now });
    assert.equal(await processWindow([rec(1), rec(2)], h.o), true);
    assert.equal(h.calls.length, 3, "attempts at 1000, 1040 and 1080; by 1120 both records are over 100 ms old");
    assert.deepEqual(h.failures, [{ seqs: [1, 2], invokes: 3, condition: "RecordAgeExceeded" }]);
    assert.equal(h.checkpoints.at(-1), "2");
  });

  it("retries throttles without using up retries", async () => {
    const h = harness((_b, call) => (call <= 3 ? fail(false) : ok), { maximumRetryAttempts: 0 });
    assert.equal(await processWindow([rec(1)], h.o), true);
    assert.equal(h.calls.length, 4);
    assert.deepEqual(h.failures, []);
  });

  it("keeps retrying a failed on-failure delivery and a failed checkpoint write until they succeed", async () => {
    let sendFails = 2;
    let writeFails = 2;
    const h = harness(() => fail(), {
      maximumRetryAttempts: 0,
      sendFailure: async () => {
        if (sendFails-- > 0) throw new Error("broker down");
      },
      checkpoint: async () => {
        if (writeFails-- > 0) throw new Error("broker down");
      },
    });
    assert.equal(await processWindow([rec(1)], h.o), true);
    assert.equal(sendFails, -1);
    assert.equal(writeFails, -1);
  });
});
