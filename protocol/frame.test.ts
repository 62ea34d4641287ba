/** Unit tests of the fast-channel frame codec. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeFrame, encodeFrameParts, FrameBatch, FrameDecoder, FrameError, type Frame } from "./frame.ts";

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

test("reads reply headers of every form to the same header: compact ones without JSON.parse, the rest through it", () => {
  const cases: Array<[string, object]> = [
    // The compact form both bootstraps write.
    ['{"type":"result","id":"0f6c1f0e-8a4b-4c1e-9d1a-2b3c4d5e6f70"}', { type: "result", id: "0f6c1f0e-8a4b-4c1e-9d1a-2b3c4d5e6f70" }],
    ['{"type":"error","id":"req.1:a_b-c"}', { type: "error", id: "req.1:a_b-c" }],
    ['{"type":"error","id":""}', { type: "error", id: "" }],
    // Forms the fast path must leave to JSON.parse: escapes, non-ASCII, spaces, extra fields, other types.
    ['{"type":"result","id":"a\\"b"}', { type: "result", id: 'a"b' }],
    ['{"type":"result","id":"a\\\\"}', { type: "result", id: "a\\" }],
    ['{"type":"result","id":"é"}', { type: "result", id: "é" }],
    ['{"type": "result", "id": "r1"}', { type: "result", id: "r1" }],
    ['{"type":"result","id":"r1","extra":"x"}', { type: "result", id: "r1", extra: "x" }],
    ['{"type":"result","id":"x","more":""}', { type: "result", id: "x", more: "" }],
    ['{"type":"resultX","id":"r1"}', { type: "resultX", id: "r1" }],
    ['{"type":"ready"}', { type: "ready" }],
  ];
  for (const [text, header] of cases) {
    const { frames, decoder } = collect();
    decoder.push(encodeFrame(text, "1"));
    assert.deepEqual(frames[0]!.header, header, text);
    assert.equal(frames[0]!.body.toString(), "1");
  }
  // A reply header that is not valid JSON still fails the channel, whatever its prefix.
  assert.throws(() => collect().decoder.push(encodeFrame('{"type":"result","id":"r1"')), /not valid JSON/);
  assert.throws(() => collect().decoder.push(encodeFrame('{"type":"result","id":"r1"}"}')), /not valid JSON/);
});

test("a FrameBatch's parts decode to its frames in order: small ones joined, large bodies left as they are", () => {
  const batch = new FrameBatch();
  const big = Buffer.alloc(100 * 1024, 0x62);
  const sent: Array<[string, Buffer]> = [
    ['{"type":"invoke","id":"a"}', Buffer.from('{"n":1}')],
    ['{"type":"invoke","id":"é€"}', Buffer.alloc(0)],
    ['{"type":"invoke","id":"big"}', big],
    ['{"type":"invoke","id":"c"}', Buffer.from("[3]")],
  ];
  for (const [h, b] of sent) batch.add(h, b);
  assert.equal(batch.frames, 4);
  const parts = batch.take();
  assert.equal(batch.frames, 0);
  assert.equal(parts.length, 4, "staged bytes, the large frame's head, its body, staged bytes");
  assert.equal(parts[2], big, "the large body is not copied");
  const { frames, decoder } = collect();
  for (const p of parts) decoder.push(p);
  assert.deepEqual(
    frames.map((f) => [f.header.id, f.body.toString()]),
    sent.map(([h, b]) => [JSON.parse(h).id, b.toString()]),
  );
  assert.deepEqual(batch.take(), [], "nothing is left after take()");
});

test("a FrameBatch reuses its staging buffer without touching what an earlier take() returned", () => {
  const batch = new FrameBatch();
  batch.add('{"type":"invoke","id":"first"}', Buffer.from("1"));
  const first = batch.take();
  const copy = Buffer.concat(first);
  batch.add('{"type":"invoke","id":"other"}', Buffer.from("2"));
  batch.take();
  assert.ok(Buffer.concat(first).equals(copy), "the first batch's bytes changed under the caller");
});

test("a FrameBatch grows past its staging buffer: many frames, and one header larger than it", () => {
  const batch = new FrameBatch();
  const body = Buffer.alloc(60 * 1024, 0x63); // under the 64 KB copy limit, so staged
  const header = JSON.stringify({ type: "init", env: { K: "x".repeat(80 * 1024) } });
  for (let i = 0; i < 5; i++) batch.add(`{"type":"invoke","id":"${i}"}`, body);
  batch.add(header);
  batch.add('{"type":"invoke","id":"last"}', Buffer.from("z"));
  const { frames, decoder } = collect();
  for (const p of batch.take()) decoder.push(p);
  assert.deepEqual(
    frames.map((f) => [f.header.type, f.header.id ?? null, f.body.length]),
    [...[0, 1, 2, 3, 4].map((i) => ["invoke", String(i), body.length]), ["init", null, 0], ["invoke", "last", 1]],
  );
  assert.equal((frames[5]!.header.env as { K: string }).K.length, 80 * 1024);
  assert.ok(frames[0]!.body.equals(body));
});
