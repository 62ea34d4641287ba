/**
 * The runner's side of the golden frames (runtimes/fixtures/frames): protocol/frame.ts decodes
 * every case to what the manifest says, however the bytes are cut into reads, and refuses the
 * invalid ones with the manifest's message; it encodes every valid frame to the same bytes; and
 * the runner's FastChannel writes init/invoke frames byte for byte as stored and reads the
 * instance's frames (hello, ready, initError, result, error) into the results they mean. The Node
 * and Python bootstraps replay the same bytes (runtimes/node/frame.test.ts,
 * runtimes/python/test_frames.py).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Duplex } from "node:stream";
import { encodeFrame, encodeFrameParts, FrameBatch, FrameDecoder, FrameError, type FrameHeader } from "../../../protocol/frame.ts";
import { goldenBody, goldenDeliveries, loadFrameFixtures, type GoldenCase, type GoldenFrame } from "../../../runtimes/frame-fixtures.ts";
import { InitError, type InstanceResult } from "../backends/backend.ts";
import { FastChannel } from "./fast-channel.ts";
import { CHANNEL_CLOSED_RESULT } from "./instance-channel.ts";

const { manifest, bytes } = loadFrameFixtures();
const byName = (name: string): GoldenCase => {
  const c = manifest.cases.find((k) => k.name === name);
  assert.ok(c, `no golden case ${name}`);
  return c;
};

test("protocol/frame.ts decodes every golden case as the manifest says, however the reads are cut", () => {
  for (const c of manifest.cases) {
    const all = bytes(c);
    const want = c.frames.map((f) => [f.header, goldenBody(f).toString("hex")]);
    for (const { how, chunks } of goldenDeliveries(c, all)) {
      const got: Array<[FrameHeader, string]> = [];
      const decoder = new FrameDecoder((f) => got.push([f.header, f.body.toString("hex")]));
      const feed = () => {
        for (const chunk of chunks) decoder.push(chunk);
      };
      if (c.error) {
        assert.throws(feed, (e: unknown) => e instanceof FrameError && e.message === c.error, `${c.name} ${how}`);
      } else {
        feed();
        assert.equal(decoder.bufferedBytes > 0, c.incomplete === true, `${c.name} ${how}: bytes left over`);
      }
      assert.deepEqual(got, want, `${c.name} ${how}`);
    }
  }
});

test("the refusal of an oversized frame names its size and the maximum", () => {
  const c = byName("oversize-by-one");
  assert.equal(c.error, `frame of ${manifest.maxFrameBytes + 1} bytes exceeds the ${manifest.maxFrameBytes}-byte limit`);
  // Refused from the prefix alone: nothing of the announced body is waited for.
  assert.throws(() => new FrameDecoder(() => {}).push(bytes(c).subarray(0, 8)), new RegExp(`${manifest.maxFrameBytes + 1} bytes`));
});

test("protocol/frame.ts encodes every golden frame to the stored bytes, alone and in a FrameBatch", () => {
  for (const c of manifest.cases) {
    const all = bytes(c);
    const encoded = c.frames.map((f) => encodeFrame(f.headerText, goldenBody(f)));
    const joined = Buffer.concat(encoded);
    if (c.error || c.incomplete) assert.ok(all.subarray(0, joined.length).equals(joined), c.name);
    else assert.ok(all.equals(joined), c.name);
    for (const [i, f] of c.frames.entries()) assert.ok(Buffer.concat(encodeFrameParts(f.headerText, goldenBody(f))).equals(encoded[i]!), `${c.name} parts`);
    const batch = new FrameBatch();
    for (const f of c.frames) batch.add(f.headerText, goldenBody(f));
    assert.ok(Buffer.concat(batch.take()).equals(joined), `${c.name} batch`);
  }
});

/** A FastChannel over an in-memory stream: what it writes is kept, what the test pushes it reads. */
function channel(): { ch: FastChannel; socket: Duplex; written: () => Buffer; feed: (b: Buffer) => void } {
  const out: Buffer[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      out.push(Buffer.from(chunk));
      cb();
    },
  });
  const ch = new FastChannel(socket);
  return { ch, socket, written: () => Buffer.concat(out.splice(0)), feed: (b) => socket.push(b) };
}

/** The channel flushes its frames once per event-loop turn (setImmediate). */
const turn = () => new Promise<void>((r) => setImmediate(r));

test("FastChannel writes init and invoke frames exactly as stored, a turn's invokes as one batch", async () => {
  const { ch, written } = channel();
  const init = byName("init").frames[0]!.header;
  const { type: _type, ...msg } = init;
  void ch.init(msg as never);
  await turn();
  assert.ok(written().equals(bytes(byName("init"))), "init");

  const invoke = (on: FastChannel, f: GoldenFrame) =>
    void on.invoke({
      requestId: f.header.id as string,
      deadlineMs: f.header.deadline as number,
      payload: goldenBody(f),
      traceparent: f.header.traceparent as string | undefined,
      clientContext: f.header.clientContext as string | undefined,
      qualifier: f.header.qualifier as string | undefined,
    });
  for (const name of ["invoke-compact", "invoke-compact-traced", "invoke-traced", "invoke-empty-body", "invoke-compact-qualified"]) {
    const one = channel();
    invoke(one.ch, byName(name).frames[0]!);
    await turn();
    assert.ok(one.written().equals(bytes(byName(name))), name);
  }
  for (const f of byName("batch-invokes").frames) invoke(ch, f);
  await turn();
  assert.ok(written().equals(bytes(byName("batch-invokes"))), "batch-invokes");
});

test("FastChannel reads the instance's golden frames into what they mean", async () => {
  for (const name of ["hello-node", "hello-python-tcp"]) {
    const { ch, feed } = channel();
    feed(bytes(byName(name)));
    const h = byName(name).frames[0]!.header;
    assert.deepEqual(await ch.hello, { runtime: h.runtime, version: h.version, pid: h.pid }, name);
  }

  const ok = channel();
  const ready = ok.ch.init({ taskRoot: "/var/task", handler: "index.handler", functionName: "f", functionVersion: "1", memorySize: 128, timeout: 3, env: {}, concurrency: 1 });
  ok.feed(bytes(byName("ready")));
  await ready;

  const failed = channel();
  const initFailed = failed.ch.init({ taskRoot: "/var/task", handler: "index.handler", functionName: "f", functionVersion: "1", memorySize: 128, timeout: 3, env: {}, concurrency: 1 });
  failed.feed(bytes(byName("init-error")));
  await assert.rejects(initFailed, (e: unknown) => e instanceof InitError && e.message === "Error: Cannot find module 'missing'" && e.errorType === "Runtime.ImportModuleError");

  // Replies resolve the invocation with the same id; an empty result body reads as JSON null.
  for (const name of ["result-compact", "error-compact", "result-empty-body", "result-escaped-id", "result-spaced", "result-large-body", "batch-replies", "split-reads"]) {
    const c = byName(name);
    const { ch, feed } = channel();
    const replies = c.frames.filter((f) => f.header.type === "result" || f.header.type === "error");
    const results = replies.map((f) => ch.invoke({ requestId: f.header.id as string, deadlineMs: Date.now() + 5000, payload: Buffer.from("{}") }));
    const all = bytes(c);
    let off = 0;
    for (const n of c.reads ?? []) feed(all.subarray(off, (off += n)));
    feed(all.subarray(off));
    for (const [i, f] of replies.entries()) {
      const body = goldenBody(f);
      assert.deepEqual(await results[i], { kind: f.header.type === "result" ? "success" : "function-error", payload: body.length ? body : Buffer.from("null") }, name);
    }
  }
});

test("FastChannel reads a golden streamed response into the sink, or buffers it for a plain invoke", async () => {
  const response = byName("streamed-response");
  const chunks = response.frames.filter((f) => f.header.type === "chunk").map((f) => goldenBody(f));
  const whole = Buffer.concat(chunks);
  const contentType = response.frames[0]!.header.contentType as string;
  // With a sink: begin with the content type, the bytes in order, an empty payload at the end.
  const got: { begin?: string; bytes: Buffer[] } = { bytes: [] };
  const sinkRun = channel();
  const streamed = sinkRun.ch.invoke({
    requestId: "st1",
    deadlineMs: Date.now() + 5000,
    payload: Buffer.from("{}"),
    stream: { begin: (ct) => (got.begin = ct), write: (b) => void got.bytes.push(Buffer.from(b)) },
  });
  sinkRun.feed(bytes(response));
  assert.deepEqual(await streamed, { kind: "success", payload: Buffer.alloc(0), streamed: { contentType } });
  assert.equal(got.begin, contentType);
  assert.ok(Buffer.concat(got.bytes).equals(whole));
  // Without one (a buffered invoke): the whole response as the payload.
  const plain = channel();
  const buffered = plain.ch.invoke({ requestId: "st1", deadlineMs: Date.now() + 5000, payload: Buffer.from("{}") });
  plain.feed(bytes(response));
  assert.deepEqual(await buffered, { kind: "success", payload: whole, streamed: { contentType } });
  // A failure part-way: the error document, what was written staying written.
  const failing = byName("streamed-error");
  const errRun = channel();
  const failed = errRun.ch.invoke({ requestId: "st2", deadlineMs: Date.now() + 5000, payload: Buffer.from("{}") });
  errRun.feed(bytes(failing));
  assert.deepEqual(await failed, { kind: "function-error", payload: goldenBody(failing.frames.at(-1)!), streamed: { contentType: "text/plain" } });
});

test("FastChannel drops the channel on every invalid golden case with the manifest's error, failing what is pending", async () => {
  for (const c of manifest.cases.filter((k) => k.error)) {
    const { ch, socket, feed } = channel();
    const pending = ch.invoke({ requestId: "pending", deadlineMs: Date.now() + 5000, payload: Buffer.from("{}") });
    const failed = new Promise<Error>((resolve) => socket.once("error", resolve));
    feed(bytes(c));
    const err = await failed;
    assert.ok(err instanceof FrameError, c.name);
    assert.equal(err.message, c.error, c.name);
    assert.deepEqual(await pending, CHANNEL_CLOSED_RESULT, c.name);
  }
});
