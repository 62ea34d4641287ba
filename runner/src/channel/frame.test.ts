/** Unit tests of the fast-channel frame codec. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeFrame, encodeFrameParts, FrameDecoder, FrameError, type Frame } from "./frame.ts";

function collect(opts?: { maxFrameBytes?: number }): { frames: Frame[]; decoder: FrameDecoder } {
  const frames: Frame[] = [];
  return { frames, decoder: new FrameDecoder((f) => frames.push({ header: f.header, body: Buffer.from(f.body) }), opts) };
}

test("encodes the length prefix, the header JSON and the raw body", () => {
  const buf = encodeFrame({ type: "invoke", id: "r1" }, Buffer.from('{"a":1}'));
  const header = '{"type":"invoke","id":"r1"}';
  assert.equal(buf.readUInt32BE(0), Buffer.byteLength(header));
  assert.equal(buf.readUInt32BE(4), 7);
  assert.equal(buf.subarray(8, 8 + Buffer.byteLength(header)).toString(), header);
  assert.equal(buf.subarray(8 + Buffer.byteLength(header)).toString(), '{"a":1}');
});

test("accepts a pre-serialised header and counts UTF-8 bytes, not characters", () => {
  const buf = encodeFrame('{"type":"x","name":"é€"}', "ü");
  const { frames, decoder } = collect();
  decoder.push(buf);
  assert.deepEqual(frames[0].header, { type: "x", name: "é€" });
  assert.equal(frames[0].body.toString(), "ü");
});

test("decodes a frame delivered one byte at a time", () => {
  const buf = encodeFrame({ type: "result", id: "abc" }, Buffer.from('{"ok":true}'));
  const { frames, decoder } = collect();
  for (let i = 0; i < buf.length; i++) decoder.push(buf.subarray(i, i + 1));
  assert.equal(frames.length, 1);
  assert.deepEqual(frames[0].header, { type: "result", id: "abc" });
  assert.equal(frames[0].body.toString(), '{"ok":true}');
  assert.equal(decoder.bufferedBytes, 0);
});

test("decodes several frames in one chunk, and a frame split at every possible offset", () => {
  const a = encodeFrame({ type: "hello", pid: 1 });
  const b = encodeFrame({ type: "result", id: "1" }, "[1,2,3]");
  const c = encodeFrame({ type: "error", id: "2" }, '{"errorType":"E"}');
  const all = Buffer.concat([a, b, c]);
  for (let cut = 0; cut <= all.length; cut++) {
    const { frames, decoder } = collect();
    decoder.push(all.subarray(0, cut));
    decoder.push(all.subarray(cut));
    assert.deepEqual(
      frames.map((f) => [f.header.type, f.body.toString()]),
      [
        ["hello", ""],
        ["result", "[1,2,3]"],
        ["error", '{"errorType":"E"}'],
      ],
      `cut at ${cut}`,
    );
  }
});

test("reassembles a 5 MB body arriving in 64 KB chunks", () => {
  const body = Buffer.alloc(5 * 1024 * 1024, 0x61);
  const buf = encodeFrame({ type: "result", id: "big" }, body);
  const { frames, decoder } = collect();
  for (let off = 0; off < buf.length; off += 65536) decoder.push(buf.subarray(off, off + 65536));
  assert.equal(frames.length, 1);
  assert.equal(frames[0].body.length, body.length);
  assert.ok(frames[0].body.equals(body));
});

test("writes large bodies as a separate part instead of copying them", () => {
  const body = Buffer.alloc(1024 * 1024);
  const parts = encodeFrameParts({ type: "invoke", id: "x" }, body);
  assert.equal(parts.length, 2);
  assert.equal(parts[1], body);
  assert.equal(encodeFrameParts({ type: "invoke" }, Buffer.alloc(10)).length, 1);
});

test("rejects a frame larger than the limit before buffering it", () => {
  const { decoder } = collect({ maxFrameBytes: 1024 });
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32BE(10, 0);
  prefix.writeUInt32BE(10_000, 4);
  assert.throws(() => decoder.push(prefix), FrameError);
});

test("rejects a header that is not JSON or has no type", () => {
  const bad = Buffer.concat([Buffer.from([0, 0, 0, 3, 0, 0, 0, 0]), Buffer.from("{x:")]);
  assert.throws(() => collect().decoder.push(bad), /not valid JSON/);
  assert.throws(() => collect().decoder.push(encodeFrame('{"id":"1"}')), /string "type"/);
});
