/** The per-instance token bucket: bursts pass, a sustained flood is cut to the rate, drops are counted. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FloodBudget, droppedMessage, formatBytes } from "./flood-budget.ts";

test("a burst up to burstBytes passes whole; beyond it only the refill passes", () => {
  const b = new FloodBudget({ rateBytes: 1000, burstBytes: 5000 }, 0);
  assert.equal(b.take(5000, 0), 5000);
  assert.equal(b.take(10, 0), 0);
  assert.equal(b.dropped, 10);
  // 100 ms later: 100 bytes of refill.
  assert.equal(b.take(300, 100), 100);
  assert.equal(b.takeDropped(), 210);
  assert.equal(b.dropped, 0);
});

test("a 10 MB/s writer keeps about rate × time plus the burst", () => {
  const b = new FloodBudget({ rateBytes: 1024 * 1024, burstBytes: 2 * 1024 * 1024 }, 0);
  let kept = 0;
  // 2 s of 64 KiB chunks at 10 MiB/s: 160 chunks per second.
  for (let i = 0; i < 320; i++) kept += b.take(65536, (i * 1000) / 160);
  const expected = 2 * 1024 * 1024 + 2 * 1024 * 1024;
  assert.ok(Math.abs(kept - expected) <= 65536, `kept ${kept}, expected about ${expected}`);
  assert.equal(b.dropped, 320 * 65536 - kept);
});

test("the refill never exceeds the burst, and time going backwards adds nothing", () => {
  const b = new FloodBudget({ rateBytes: 1000, burstBytes: 2000 }, 0);
  assert.equal(b.take(2000, 0), 2000);
  assert.equal(b.take(5000, 60_000), 2000);
  assert.equal(b.take(100, 50_000), 0);
});

test("the marker names the dropped bytes and the limit", () => {
  assert.equal(formatBytes(1024 * 1024), "1 MiB");
  assert.equal(formatBytes(1536 * 1024), "1.5 MiB");
  assert.equal(formatBytes(512 * 1024), "512 KiB");
  assert.equal(formatBytes(300), "300 B");
  assert.equal(
    droppedMessage(12345, { rateBytes: 1024 * 1024, burstBytes: 2 * 1024 * 1024 }),
    "… 12345 bytes of log output dropped: the function wrote more than 1 MiB/s (bursts up to 2 MiB)",
  );
});
