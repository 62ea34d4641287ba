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
