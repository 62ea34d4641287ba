import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import { StateMetricsRecorder, sampleOf } from "./metrics-recorder.ts";
import { MetricsReader } from "./metrics-reader.ts";
import type { InvokeOutcome } from "../../../protocol/invoke.ts";

const ok = (durationMs: number, coldStart = false): InvokeOutcome => ({ kind: "success", payload: Buffer.from("{}"), coldStart, start: coldStart ? "fresh" : "warm", durationMs });

test("counts function errors, timeouts, OOMs, crashes and init errors as errors, and never 429, draining refusals or lost runners", () => {
  assert.deepEqual(sampleOf(ok(5)), { error: false, durationMs: 5 });
  assert.deepEqual(sampleOf({ kind: "function-error", payload: Buffer.from("{}"), coldStart: false, start: "warm", durationMs: 7 }), { error: true, durationMs: 7 });
  for (const code of ["TimeoutError", "OutOfMemory", "InstanceCrashed", "InitError", "InternalError"] as const) {
    assert.equal(sampleOf({ kind: "platform-error", code, message: "x" })?.error, true, code);
  }
  assert.equal(sampleOf({ kind: "platform-error", code: "TooManyRequests", message: "x" }), undefined);
  assert.equal(sampleOf({ kind: "platform-error", code: "ServiceUnavailable", message: "x" }), undefined);
  assert.equal(sampleOf({ kind: "platform-error", code: "RunnerLost", message: "x" }), undefined);
});

test("leaves a cold start's duration out of the latency histogram but counts the request", () => {
  assert.deepEqual(sampleOf(ok(400, true)), { error: false });
});

test("batches in memory, writes on flush, and reads windows back per version", async () => {
  const state = new MemoryStateStore();
  let now = Date.UTC(2030, 0, 1, 0, 0, 0);
  const rec = new StateMetricsRecorder(state, { namespace: "t:", flushIntervalMs: 60_000, now: () => now });
  const reader = new MetricsReader(state, { namespace: "t:", now: () => now });
  for (let i = 0; i < 90; i++) rec.record("fn", 2, { error: false, durationMs: 10 });
  for (let i = 0; i < 10; i++) rec.record("fn", 2, { error: true, durationMs: 300 });
  rec.record("fn", 1, { error: false, durationMs: 5 });
  assert.equal((await reader.window("fn", 2, now - 1000, now + 1000)).requests, 0, "nothing is written before a flush");
  await rec.flush();
  const w = await reader.stats("fn", 2, now - 1000, now + 1000);
  assert.equal(w.requests, 100);
  assert.equal(w.errors, 10);
  assert.equal(w.errorRate, 0.1);
  assert.ok(w.p50! > 8 && w.p50! <= 12, `p50 ${w.p50}`);
  assert.ok(w.p99! > 250, `p99 ${w.p99}`);
  assert.equal((await reader.stats("fn", 1, now - 1000, now + 1000)).requests, 1, "versions are kept apart");
  now += 5000;
  rec.record("fn", 2, { error: false, durationMs: 10 });
  await rec.close();
  assert.equal((await reader.window("fn", 2, now - 1000, now + 1)).requests, 1, "a later window holds only its own requests");
  assert.equal((await reader.window("fn", 2, now - 10_000, now + 1)).requests, 101);
  assert.equal((await reader.window("fn", 2, now - 20 * 60_000, now + 1)).requests, 101, "long windows read minute buckets");
  await state.close();
});

test("keeps its keys apart per namespace and expires them", async () => {
  const state = new MemoryStateStore();
  const a = new StateMetricsRecorder(state, { namespace: "a:" });
  a.record("fn", 1, { error: false, durationMs: 1 });
  await a.close();
  const now = Date.now();
  assert.equal((await new MetricsReader(state, { namespace: "b:" }).window("fn", 1, now - 5000, now + 1)).requests, 0);
  assert.equal((await new MetricsReader(state, { namespace: "a:" }).window("fn", 1, now - 5000, now + 1)).requests, 1);
  const key = `a:m:s:fn:1:${Math.floor(now / 1000)}`;
  const ttl = await state.ttl(key);
  assert.ok(ttl > 20 * 60_000 && ttl <= 25 * 60_000, `second buckets expire after 25 minutes (ttl ${ttl})`);
  await state.close();
});

test("moves to the next window between flushes and keeps counting a window across a flush", async () => {
  const state = new MemoryStateStore();
  let now = Date.UTC(2030, 0, 1, 0, 0, 0, 100);
  const rec = new StateMetricsRecorder(state, { namespace: "t:", flushIntervalMs: 60_000, now: () => now });
  const reader = new MetricsReader(state, { namespace: "t:", now: () => now });
  const first = now;
  rec.record("fn", 1, { error: false, durationMs: 2 });
  rec.record("fn", 1, { error: true, durationMs: 2 });
  now += 1000; // the next second, same minute, no flush in between
  rec.record("fn", 1, { error: false, durationMs: 2 });
  await rec.flush();
  rec.record("fn", 1, { error: false, durationMs: 2 }); // same second as before the flush
  await rec.close();
  const a = await reader.window("fn", 1, first, first + 1);
  assert.equal(a.requests, 2, "the first second holds its own two");
  assert.equal(a.errors, 1);
  assert.equal((await reader.window("fn", 1, now, now + 1)).requests, 2, "the second second: one before the flush, one after");
  assert.equal((await reader.window("fn", 1, first - 1000, now + 1)).requests, 4);
  await state.close();
});
