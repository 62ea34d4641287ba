/** The RSS watch: reads /proc and calls back once when a process goes over its limit. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryWatch, readRssBytes } from "./memory-watch.ts";

test("reads the resident set size of a live process, and nothing for a missing one", () => {
  const rss = readRssBytes(process.pid);
  assert.ok(rss !== undefined && rss > 10 * 1024 * 1024, `rss ${rss}`);
  assert.equal(readRssBytes(2 ** 22 + 12345), undefined);
});

test("calls onExceeded once, with the RSS, when a process is over its limit", () => {
  const watch = new MemoryWatch(60_000);
  const seen: number[] = [];
  watch.watch(process.pid, 1024, (rss) => seen.push(rss));
  watch.sample();
  watch.sample();
  assert.equal(seen.length, 1);
  assert.ok(seen[0] > 1024);
  watch.close();
});

test("leaves a process under its limit alone, and stops watching after unwatch", () => {
  const watch = new MemoryWatch(60_000);
  let calls = 0;
  const unwatch = watch.watch(process.pid, 64 * 1024 ** 3, () => calls++);
  watch.sample();
  unwatch();
  watch.watch(process.pid, 64 * 1024 ** 3, () => calls++);
  watch.unwatch(process.pid);
  watch.sample();
  assert.equal(calls, 0);
  watch.close();
});

test("peakBytes reports the highest RSS sampled, kept across a re-watch, and nothing for an unwatched pid", () => {
  const watch = new MemoryWatch(60_000);
  assert.equal(watch.peakBytes(process.pid), undefined);
  watch.watch(process.pid, 64 * 1024 ** 3, () => {});
  watch.sample();
  const first = watch.peakBytes(process.pid)!;
  assert.ok(first > 10 * 1024 * 1024, `peak ${first}`);
  // Grow, sample, shrink back: the peak stays at the high-water mark.
  let big: Buffer | undefined = Buffer.alloc(64 * 1024 * 1024, 1);
  watch.sample();
  const grown = watch.peakBytes(process.pid)!;
  assert.ok(grown >= first + 32 * 1024 * 1024, `peak ${grown} after allocating 64 MB (was ${first})`);
  assert.equal(big.length, 64 * 1024 * 1024);
  big = undefined;
  watch.watch(process.pid, 128 * 1024 ** 3, () => {});
  assert.ok(watch.peakBytes(process.pid)! >= grown, "a new limit keeps the peak");
  watch.close();
});

test("a process that exits before the first timer tick still has a peak (sampled when the watch begins)", async () => {
  const { spawn } = await import("node:child_process");
  const watch = new MemoryWatch(60_000);
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 200)"], { stdio: "ignore" });
  await new Promise((resolve) => child.once("spawn", resolve));
  watch.watch(child.pid!, 64 * 1024 ** 3, () => {});
  child.kill("SIGKILL");
  await new Promise((resolve) => child.once("exit", resolve));
  assert.equal(readRssBytes(child.pid!), undefined, "the process is gone");
  assert.ok(watch.peakBytes(child.pid!)! > 0, "the peak from the first sample is kept");
  watch.close();
});
