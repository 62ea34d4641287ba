/**
 * The shipper on a real (in-memory) state store: batches by size and time, one stream entry per
 * batch, flush on close; with a store that hangs or fails, memory stays bounded and drops are counted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FUNCTION_LOGS_STREAM, type FunctionLogRecord } from "../../../protocol/function-logs.ts";
import { recordsOfRows, type FunctionLogRowTuple } from "../../../protocol/function-log-rows.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { LogShipper } from "./log-shipper.ts";

const quiet = { debug() {}, warn() {} };

function record(i: number, message = `line ${i}`): FunctionLogRecord {
  return { functionName: "fn", version: 1, requestId: "r", instanceId: "i", at: 1_700_000_000_000 + i, stream: "stdout", message };
}

/** Each stream entry's rows, as the tuples shipped. */
async function readRows(state: StateStore): Promise<FunctionLogRowTuple[][]> {
  await state.createGroup(FUNCTION_LOGS_STREAM, "test", "0");
  const entries = await state.readGroup(FUNCTION_LOGS_STREAM, "test", "c");
  return entries.map((e) => JSON.parse(e.fields.rows!) as FunctionLogRowTuple[]);
}

/** Each stream entry's records. */
async function readAll(state: StateStore): Promise<FunctionLogRecord[][]> {
  return (await readRows(state)).map(recordsOfRows);
}

test("ships full batches at once and the rest after flushMs, in order", async () => {
  const state = new MemoryStateStore();
  const shipper = new LogShipper({ state, log: quiet, flushMs: 50, batchRecords: 500 });
  const all = Array.from({ length: 1203 }, (_, i) => record(i));
  for (const r of all) shipper.write([r]);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual((await readAll(state)).map((b) => b.length), [500, 500], "two full batches went before the timer");
  await new Promise((r) => setTimeout(r, 100));
  const batches = await readAll(state);
  assert.deepEqual(batches.map((b) => b.length), [203]);
  await shipper.close();
  await state.close();
});

test("one row per invocation and instance in a batch: a pack keeps each line's stream and time, in order", async () => {
  const state = new MemoryStateStore();
  const shipper = new LogShipper({ state, log: quiet, flushMs: 60_000 });
  const t = 1_700_000_000_000;
  const of = (requestId: string | null, at: number, stream: FunctionLogRecord["stream"], message: string, instanceId = "i"): FunctionLogRecord => ({ functionName: "fn", version: 1, requestId, instanceId, at, stream, message });
  const written = [
    of("a", t, "platform", "START RequestId: a Version: 1"),
    of("b", t + 1, "platform", "START RequestId: b Version: 1"),
    of("a", t + 2, "stdout", "hello from a"),
    of(null, t + 3, "stderr", "no invocation"),
    of("a", t + 7, "stderr", "  spaced  text "),
    of("a", t + 8, "platform", "a notice\nover two lines"),
    of("b", t + 8, "platform", "END RequestId: b"),
    of("a", t + 9, "stdout", "same request, other instance", "j"),
  ];
  shipper.write(written);
  await shipper.close();
  const [rows] = await readRows(state);
  assert.deepEqual(rows!.map((r) => [r[2], r[3], r[5]]), [["a", "i", "pack"], ["b", "i", "pack"], [null, "i", "stderr"], ["a", "j", "stdout"]], "grouped by request and instance, in order of first line");
  assert.equal(rows![0]![6], 'p0 START RequestId: a Version: 1\no2 hello from a\ne7   spaced  text \nP8 "a notice\\nover two lines"');
  const back = recordsOfRows(rows!);
  const key = (r: FunctionLogRecord) => `${r.requestId} ${r.instanceId} ${r.at}`;
  assert.deepEqual([...back].sort((x, y) => key(x).localeCompare(key(y))), [...written].sort((x, y) => key(x).localeCompare(key(y))), "every line comes back as written");
  await state.close();
});

test("a batch never spans LOG_PACK_SPAN_MS: a later record starts a new one", async () => {
  const state = new MemoryStateStore();
  const shipper = new LogShipper({ state, log: quiet, flushMs: 60_000 });
  shipper.write([record(0), record(999), record(1000), record(1500)]);
  await shipper.close();
  assert.deepEqual((await readAll(state)).map((b) => b.map((r) => r.at - record(0).at)), [[0, 999], [1000, 1500]]);
  await state.close();
});

test("close() ships what is waiting", async () => {
  const state = new MemoryStateStore();
  const shipper = new LogShipper({ state, log: quiet, flushMs: 60_000 });
  shipper.write([record(1), record(2)]);
  await shipper.close();
  assert.deepEqual(await readAll(state), [[record(1), record(2)]]);
  await state.close();
});

test("a store that hangs keeps memory bounded: the oldest batches are dropped and counted, and reported", async () => {
  const warnings: string[] = [];
  const hanging = { xadd: () => new Promise<string>(() => {}) };
  const shipper = new LogShipper({
    state: hanging,
    log: { debug() {}, warn: (_o, m) => warnings.push(m) },
    flushMs: 10,
    batchRecords: 100,
    maxQueuedBytes: 200_000,
    reportMs: 50,
  });
  const big = "y".repeat(1000);
  for (let i = 0; i < 5000; i++) shipper.write([record(i, big)]);
  const s = shipper.stats();
  assert.ok(s.queuedBytes <= 200_000 + 100 * 1200, `queued ${s.queuedBytes} bytes`);
  assert.ok(s.droppedBatches >= 40, `dropped ${s.droppedBatches} batches`);
  assert.equal(s.shipped, 0);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(warnings.filter((w) => w.includes("dropped function-log batches")).length, 1, "reported once per interval");
  const t0 = Date.now();
  await shipper.close(100);
  assert.ok(Date.now() - t0 < 1000, "close() gives up at its deadline");
});

test("a failing store is retried; nothing is lost when it comes back", async () => {
  const state = new MemoryStateStore();
  let failures = 2;
  const flaky = {
    xadd: (s: string, f: Record<string, string>, o?: { maxLen?: number }) => (failures-- > 0 ? Promise.reject(new Error("down")) : state.xadd(s, f, o)),
  };
  const warnings: string[] = [];
  const shipper = new LogShipper({ state: flaky, log: { debug() {}, warn: (_o, m) => warnings.push(m) }, flushMs: 5, retryMs: 20 });
  shipper.write([record(1)]);
  await new Promise((r) => setTimeout(r, 150));
  assert.deepEqual(await readAll(state), [[record(1)]]);
  assert.equal(warnings.length, 1, "the failure is logged once, not per retry");
  await shipper.close();
  await state.close();
});
