/** Line splitting of instance output and the bounded stderr tail. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { LineTail, readLines } from "./log-lines.ts";

test("splits chunks into lines, joining partial lines, dropping CR, and flushing the last line at end", async () => {
  const s = new PassThrough();
  const lines: string[] = [];
  const done = readLines(s, (l) => lines.push(l));
  s.write("one\ntw");
  s.write("o\r\nthree\n\nfour");
  s.end();
  await done;
  assert.deepEqual(lines, ["one", "two", "three", "", "four"]);
});

test("keeps a multi-byte character split across chunks intact", async () => {
  const s = new PassThrough();
  const lines: string[] = [];
  const done = readLines(s, (l) => lines.push(l));
  const bytes = Buffer.from("héllo\n");
  s.write(bytes.subarray(0, 2));
  s.end(bytes.subarray(2));
  await done;
  assert.deepEqual(lines, ["héllo"]);
});

test("cuts a runaway line into bounded pieces", async () => {
  const s = new PassThrough();
  const lines: string[] = [];
  const done = readLines(s, (l) => lines.push(l));
  s.end("x".repeat(200 * 1024));
  await done;
  assert.ok(lines.length >= 3);
  assert.ok(lines.every((l) => l.length <= 64 * 1024));
});

test("the tail keeps only the last lines", () => {
  const tail = new LineTail(3);
  for (let i = 1; i <= 5; i++) tail.push(`line ${i}`);
  assert.equal(tail.toString(), "line 3\nline 4\nline 5");
});
