/** The invocation tail for LogType: Tail: the last 4 KB, cut on a character boundary. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LOG_TAIL_BYTES } from "../../../protocol/function-logs.ts";
import { LogTail, lastBytes } from "./log-tail.ts";

test("keeps every line while they fit, each ending in a newline", () => {
  const t = new LogTail();
  t.push("START RequestId: r Version: 1");
  t.push("hello");
  assert.equal(t.text(), "START RequestId: r Version: 1\nhello\n");
});

test("keeps only the last LOG_TAIL_BYTES of a long log, starting on a character boundary", () => {
  const t = new LogTail();
  for (let i = 0; i < 2000; i++) t.push(`line ${i} ✓`);
  const text = t.text();
  assert.ok(Buffer.byteLength(text) <= LOG_TAIL_BYTES);
  assert.ok(Buffer.byteLength(text) > LOG_TAIL_BYTES - 4);
  assert.ok(text.endsWith("line 1999 ✓\n"));
  assert.ok(!text.startsWith("\ufffd"));
});

test("lastBytes does not split a multi-byte character", () => {
  assert.equal(lastBytes("a€b", 4), "€b");
  assert.equal(lastBytes("a€b", 3), "b");
  assert.equal(lastBytes("abc", 10), "abc");
});
