import assert from "node:assert/strict";
import { test } from "node:test";
import { bucketOf, bucketUpperMs, quantile, MAX_BUCKET } from "./histogram.ts";

test("puts each duration in the bucket whose bounds contain it", () => {
  for (const ms of [0, 0.3, 1, 1.1, 2, 7.5, 99, 300, 301, 12_345, 3_600_000]) {
    const i = bucketOf(ms);
    assert.ok(ms <= bucketUpperMs(i) + 1e-9, `${ms} ≤ upper bound of bucket ${i}`);
    if (i > 0 && i < MAX_BUCKET) assert.ok(ms > bucketUpperMs(i - 1), `${ms} > upper bound of bucket ${i - 1}`);
  }
  assert.equal(bucketOf(-5), 0);
  assert.equal(bucketOf(Number.NaN), 0);
  assert.equal(bucketOf(1e12), MAX_BUCKET);
});

test("estimates quantiles within one bucket (about 19 %)", () => {
  const h = new Map<number, number>();
  const samples = Array.from({ length: 1000 }, (_, i) => 1 + i); // 1..1000 ms
  for (const s of samples) h.set(bucketOf(s), (h.get(bucketOf(s)) ?? 0) + 1);
  for (const [q, exact] of [[0.5, 500], [0.95, 950], [0.99, 990]] as const) {
    const got = quantile(h, q)!;
    assert.ok(Math.abs(got - exact) / exact < 0.19, `p${q * 100} = ${got} for ${exact}`);
  }
  assert.equal(quantile(new Map(), 0.99), undefined);
});

test("separates a 300 ms slower version from a fast one at p99", () => {
  const fast = new Map([[bucketOf(3), 99], [bucketOf(20), 1]]);
  const slow = new Map([[bucketOf(303), 100]]);
  assert.ok(quantile(fast, 0.99)! < 25);
  assert.ok(quantile(slow, 0.99)! > 250);
});
