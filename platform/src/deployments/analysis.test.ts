import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate, type Thresholds } from "./analysis.ts";
import type { WindowStats } from "../metrics/metrics-reader.ts";

const stats = (requests: number, errors: number, p99: number | null = 10): WindowStats => ({
  requests,
  errors,
  errorRate: requests ? errors / requests : null,
  p50: p99,
  p95: p99,
  p99,
});
const t: Thresholds = { maxErrorRate: 0.05, minRequests: 20 };
const subject = { version: 2, baselineVersion: 1, windowMs: 30_000 };

test("does not judge a window below minRequests, however bad it looks", () => {
  assert.deepEqual(evaluate(t, stats(19, 19), stats(100, 0), subject), { kind: "insufficient", requests: 19, minRequests: 20 });
});

test("names the error rate and the threshold when the error rate is over maxErrorRate", () => {
  const v = evaluate(t, stats(40, 20), undefined, subject);
  assert.equal(v.kind, "breach");
  assert.equal((v as { reason: string }).reason, "error rate 50.0% of version 2 exceeds maxErrorRate 5.0% (20 errors in 40 requests over 30 s)");
  assert.equal(evaluate(t, stats(40, 2), undefined, subject).kind, "pass", "exactly at the threshold passes");
});

test("rolls back on an absolute p99 only when maxP99LatencyMs is set", () => {
  assert.equal(evaluate(t, stats(40, 0, 900), undefined, subject).kind, "pass");
  const v = evaluate({ ...t, maxP99LatencyMs: 500 }, stats(40, 0, 900), undefined, subject);
  assert.match((v as { reason: string }).reason, /^p99 latency 900 ms of version 2 exceeds maxP99LatencyMs 500 ms/);
});

test("compares with the old version only when the old version has minRequests too", () => {
  const rel: Thresholds = { ...t, maxErrorRate: 1, maxErrorRateIncrease: 0.02, maxP99Increase: 0.5 };
  assert.equal(evaluate(rel, stats(40, 4, 10), stats(5, 0, 10), subject).kind, "pass", "baseline too small to compare");
  const err = evaluate(rel, stats(40, 4, 10), stats(100, 1, 10), subject);
  assert.match((err as { reason: string }).reason, /error rate 10\.0% of version 2 exceeds version 1's 1\.0% by more than maxErrorRateIncrease 2\.0%/);
  const lat = evaluate(rel, stats(40, 0, 320), stats(100, 0, 20), subject);
  assert.match((lat as { reason: string }).reason, /p99 latency 320 ms of version 2 exceeds version 1's 20 ms by more than maxP99Increase 50\.0%/);
  assert.equal(evaluate(rel, stats(40, 0, 29), stats(100, 0, 20), subject).kind, "pass");
});
