/**
 * The shipper on a real (in-memory) state store: batches by size and time, one stream entry per
 * batch, flush on close; with a store that hangs or fails, memory stays bounded and drops are counted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FUNCTION_LOGS_STREAM, FunctionLogBatch, type FunctionLogRecord } from "../../../protocol/function-logs.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { LogShipper } from "./log-shipper.ts";

const quiet = { debug() {}, warn() {} };

function record(i: number, message = `line ${i}`): FunctionLogRecord {
  return { functionName: "fn", version: 1, requestId: "r", instanceId: "i", at: 1_700_000_000_000 + i, stream: "stdout", message };
}

async function readAll(state: StateStore): Promise<FunctionLogRecord[][]> {
  await state.createGroup(FUNCTION_LOGS_STREAM, "test", "0");
  const entries = await state.readGroup(FUNCTION_LOGS_STREAM, "test", "c");
  return entries.map((e) => FunctionLogBatch.parse(JSON.parse(e.fields.records)));
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
