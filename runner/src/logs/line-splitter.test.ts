/** Lines from byte chunks: split anywhere, CRLF, UTF-8 across chunks, and the length cap. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LOG_LINE_CUT_MARKER } from "../../../protocol/function-logs.ts";
import { LineSplitter, utf8Boundary } from "./line-splitter.ts";

function split(chunks: Buffer[], max?: number): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), max);
  for (const c of chunks) s.push(c);
  s.flush();
  return lines;
}

test("lines split across chunks, CRLF endings, empty lines and a final unterminated line", () => {
  const text = Buffer.from("alpha\r\nbe\n\ngamma é ü\nlast");
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(split([text.subarray(0, cut), text.subarray(cut)]), ["alpha", "be", "", "gamma é ü", "last"], `cut at ${cut}`);
  }
});

test("a line over the cap keeps whole characters up to the cap, then the marker; the rest of it is skipped", () => {
  const long = "é".repeat(10); // 20 bytes
  assert.deepEqual(split([Buffer.from(`${long}\nnext\n`)], 7), [`ééé${LOG_LINE_CUT_MARKER}`, "next"]);
  // The same when the long line arrives a byte at a time.
  const bytes = Buffer.from(`${long}\nnext\n`);
  assert.deepEqual(split([...bytes].map((b) => Buffer.from([b])), 7), [`ééé${LOG_LINE_CUT_MARKER}`, "next"]);
  assert.deepEqual(split([Buffer.from("1234567\n")], 7), ["1234567"]);
});

test("utf8Boundary never splits a character", () => {
  const b = Buffer.from("aé€😀");
  assert.equal(utf8Boundary(b, 2), 1);
  assert.equal(utf8Boundary(b, 3), 3);
  assert.equal(utf8Boundary(b, 5), 3);
  assert.equal(utf8Boundary(b, 6), 6);
  assert.equal(utf8Boundary(b, 9), 6);
  assert.equal(utf8Boundary(b, 100), 10);
});
