import assert from "node:assert/strict";
import { test } from "node:test";
import { PreludeSplitter } from "./response-stream.ts";

const NULS = Buffer.alloc(8);

test("finds the prelude and the body that follows it in one chunk", () => {
  const step = new PreludeSplitter().push(Buffer.concat([Buffer.from('{"statusCode":201}'), NULS, Buffer.from("body")]));
  assert.deepEqual(step, { kind: "prelude", prelude: { statusCode: 201 }, rest: Buffer.from("body") });
});

test("finds a delimiter cut across chunks, byte by byte", () => {
  const bytes = Buffer.concat([Buffer.from('{"headers":{"a":"b"}}'), NULS, Buffer.from("xy")]);
  const s = new PreludeSplitter();
  for (let i = 0; i < bytes.length - 3; i++) assert.deepEqual(s.push(bytes.subarray(i, i + 1)), { kind: "pending" }, `byte ${i}`);
  assert.deepEqual(s.push(bytes.subarray(bytes.length - 3)), { kind: "prelude", prelude: { headers: { a: "b" } }, rest: Buffer.from("xy") });
});

test("keeps NUL bytes of the body after the delimiter, and needs eight in a row", () => {
  const s = new PreludeSplitter();
  assert.deepEqual(s.push(Buffer.concat([Buffer.from("{}"), Buffer.alloc(7)])), { kind: "pending" });
  const step = s.push(Buffer.concat([Buffer.alloc(1), Buffer.from([0, 0, 7])]));
  assert.deepEqual(step, { kind: "prelude", prelude: {}, rest: Buffer.from([0, 0, 7]) });
});

test("refuses a prelude that is not JSON, and one that never ends", () => {
  assert.deepEqual(new PreludeSplitter().push(Buffer.concat([Buffer.from("{nope"), NULS])), { kind: "invalid", reason: "the prelude is not JSON" });
  const endless = new PreludeSplitter().push(Buffer.alloc(70 * 1024, 0x61));
  assert.equal(endless.kind, "invalid");
});
