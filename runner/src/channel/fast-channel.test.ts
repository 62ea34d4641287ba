/**
 * FastChannel against a scripted peer over a real Unix socket: the test plays the bootstrap,
 * reading the frames the channel sends and answering with hand-made frames.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InitError } from "../backends/backend.ts";
import { FastChannel } from "./fast-channel.ts";
import { encodeFrame, FrameDecoder, type Frame } from "../../../protocol/frame.ts";
import { ChannelClosedError } from "./instance-channel.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "hs-fast-channel-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Peer {
  channel: FastChannel;
  /** The instance side of the socket. */
  socket: net.Socket;
  /** Next frame the channel sent. */
  next(): Promise<Frame>;
  send(header: object, body?: string | Buffer): void;
}

let n = 0;
async function connect(opts: ConstructorParameters<typeof FastChannel>[1] = {}): Promise<Peer> {
  const path = join(dir, `s${++n}.sock`);
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(path, r));
  const accepted = new Promise<net.Socket>((r) => server.once("connection", r));
  const client = net.connect(path);
  await new Promise((r) => client.once("connect", r));
  const socket = await accepted;
  server.close();
  const channel = new FastChannel(client, opts);
  const queue: Frame[] = [];
  const waiters: ((f: Frame) => void)[] = [];
  const decoder = new FrameDecoder((f) => {
    const copy = { header: f.header, body: Buffer.from(f.body) };
    const w = waiters.shift();
    if (w) w(copy);
    else queue.push(copy);
  });
  socket.on("data", (c: Buffer) => decoder.push(c));
  socket.on("error", () => {});
  return {
    channel,
    socket,
    next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiters.push(r))),
    send: (header, body) => socket.write(encodeFrame(header as never, body)),
  };
}

test("resolves hello with the runtime, version and pid the bootstrap announced", async () => {
  const p = await connect();
  p.send({ type: "hello", runtime: "node", version: "v20.1.0", pid: 42 });
  assert.deepEqual(await p.channel.hello, { runtime: "node", version: "v20.1.0", pid: 42 });
  await p.channel.close();
});

test("sends init with the function's fields and resolves ready on the ready frame", async () => {
  const p = await connect();
  const ready = p.channel.init({
    taskRoot: "/code",
    handler: "index.handler",
    functionName: "f",
    functionVersion: "3",
    memorySize: 256,
    timeout: 5,
    env: { FOO: "bar" },
    concurrency: 2,
  });
  const init = await p.next();
  assert.equal(init.header.type, "init");
  assert.equal(init.header.taskRoot, "/code");
  assert.deepEqual(init.header.env, { FOO: "bar" });
  assert.equal(init.header.concurrency, 2);
  assert.equal(init.body.length, 0);
  p.send({ type: "ready" });
  await ready;
  await p.channel.ready;
  await p.channel.close();
});

test("rejects ready with an InitError carrying the bootstrap's errorType, message and stack", async () => {
  const p = await connect();
  const ready = p.channel.init({ taskRoot: "/c", handler: "x.y", functionName: "f", functionVersion: "1", memorySize: 128, timeout: 3, env: {}, concurrency: 1 });
  await p.next();
  p.send({ type: "initError" }, JSON.stringify({ errorType: "Runtime.HandlerNotFound", errorMessage: "x.y is undefined or not exported", stackTrace: ["a"] }));
  await assert.rejects(ready, (e: unknown) => {
    assert.ok(e instanceof InitError);
    assert.equal(e.errorType, "Runtime.HandlerNotFound");
    assert.equal(e.message, "x.y is undefined or not exported");
    assert.deepEqual(e.stackTrace, ["a"]);
    return true;
  });
  await p.channel.close();
});

test("sends invoke frames with id, deadline, trace and client context, and matches answers by id in any order", async () => {
  const p = await connect();
  const first = p.channel.invoke({ requestId: "r1", payload: Buffer.from('{"n":1}'), deadlineMs: 1234.7, traceparent: "00-abc", clientContext: "e30=" });
  const second = p.channel.invoke({ requestId: "r2", payload: Buffer.from('{"n":2}'), deadlineMs: 99 });
  const f1 = await p.next();
  const f2 = await p.next();
  assert.deepEqual(f1.header, { type: "invoke", id: "r1", deadline: 1234, traceparent: "00-abc", clientContext: "e30=" });
  assert.equal(f1.body.toString(), '{"n":1}');
  assert.deepEqual(f2.header, { type: "invoke", id: "r2", deadline: 99 });
  assert.equal(p.channel.inflight, 2);
  p.send({ type: "error", id: "r2" }, '{"errorType":"Error","errorMessage":"boom","stackTrace":[]}');
  p.send({ type: "result", id: "r1" }, '{"ok":1}');
  const r2 = await second;
  const r1 = await first;
  assert.equal(r1.kind, "success");
  assert.equal((r1 as { payload: Buffer }).payload.toString(), '{"ok":1}');
  assert.equal(r2.kind, "function-error");
  assert.match((r2 as { payload: Buffer }).payload.toString(), /boom/);
  assert.equal(p.channel.inflight, 0);
  await p.channel.close();
});

test("turns a result over the payload limit into Function.ResponseSizeTooLarge", async () => {
  const p = await connect({ maxResultBytes: 100 });
  const r = p.channel.invoke({ requestId: "big", payload: Buffer.from("{}"), deadlineMs: 0 });
  await p.next();
  p.send({ type: "result", id: "big" }, Buffer.alloc(101, 0x61));
  const res = await r;
  assert.equal(res.kind, "function-error");
  assert.match((res as { payload: Buffer }).payload.toString(), /Function.ResponseSizeTooLarge/);
  await p.channel.close();
});

test("refuses a request id that is already in flight", async () => {
  const p = await connect();
  void p.channel.invoke({ requestId: "same", payload: Buffer.from("{}"), deadlineMs: 0 });
  const dup = await p.channel.invoke({ requestId: "same", payload: Buffer.from("{}"), deadlineMs: 0 });
  assert.equal(dup.kind, "platform-error");
  await p.channel.close();
});

test("fails every pending invocation with the backend's result when the socket closes", async () => {
  const p = await connect({ closedResult: async () => ({ kind: "platform-error", code: "OutOfMemory", message: "over 128 MB" }) });
  const a = p.channel.invoke({ requestId: "a", payload: Buffer.from("{}"), deadlineMs: 0 });
  const b = p.channel.invoke({ requestId: "b", payload: Buffer.from("{}"), deadlineMs: 0 });
  await p.next();
  p.socket.destroy();
  for (const r of await Promise.all([a, b])) assert.deepEqual(r, { kind: "platform-error", code: "OutOfMemory", message: "over 128 MB" });
  await p.channel.closed;
  const late = await p.channel.invoke({ requestId: "c", payload: Buffer.from("{}"), deadlineMs: 0 });
  assert.equal(late.kind, "platform-error");
});

test("rejects hello and ready with ChannelClosedError when the peer goes away first", async () => {
  const p = await connect();
  p.socket.destroy();
  await assert.rejects(p.channel.hello, ChannelClosedError);
  await assert.rejects(p.channel.ready, ChannelClosedError);
});

test("fail() answers pending invocations at once, and every later one the same way", async () => {
  const p = await connect();
  const a = p.channel.invoke({ requestId: "a", payload: Buffer.from("{}"), deadlineMs: 0 });
  const timeout = { kind: "platform-error", code: "TimeoutError", message: "Task timed out after 1.00 seconds" } as const;
  p.channel.fail(timeout);
  assert.deepEqual(await a, timeout);
  assert.deepEqual(await p.channel.invoke({ requestId: "b", payload: Buffer.from("{}"), deadlineMs: 0 }), timeout);
  await p.channel.close();
});
