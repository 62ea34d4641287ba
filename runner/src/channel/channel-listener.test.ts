/**
 * ChannelListener: the fast channel's TCP transport. Connections are handed over by the token in
 * their hello, hello included, to the instance that expects it; anything else is disconnected.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { ChannelListener } from "./channel-listener.ts";
import { FastChannel } from "./fast-channel.ts";
import { encodeFrame, FrameDecoder, type Frame } from "../../../protocol/frame.ts";

let listener: ChannelListener;
before(async () => {
  listener = await ChannelListener.start({ helloTimeoutMs: 300 });
});
after(async () => {
  await listener.close();
});

interface Peer {
  socket: net.Socket;
  /** Resolves with the next frame the runner sends. */
  next(): Promise<Frame>;
  closed: Promise<void>;
}

/** Connect to the listener as a bootstrap would. */
async function dial(): Promise<Peer> {
  const [host, port] = listener.address.split(":");
  const socket = net.connect({ host, port: Number(port) });
  await new Promise((r) => socket.once("connect", r));
  const queue: Frame[] = [];
  const waiters: Array<(f: Frame) => void> = [];
  const decoder = new FrameDecoder((f) => {
    const copy = { header: f.header, body: Buffer.from(f.body) };
    const w = waiters.shift();
    if (w) w(copy);
    else queue.push(copy);
  });
  socket.on("data", (c) => decoder.push(c));
  socket.on("error", () => {});
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  const next = () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise<Frame>((r) => waiters.push(r)));
  return { socket, next, closed };
}

const hello = (token: unknown) => encodeFrame({ type: "hello", runtime: "node", version: "v20", pid: 7, token });

test("listens on 127.0.0.1 by default and advertises host:port", () => {
  assert.match(listener.address, /^127\.0\.0\.1:\d+$/);
});

test("hands each connection to the instance whose token its hello carries, hello included, split frames too", async () => {
  const a = listener.expect();
  const b = listener.expect();
  assert.notEqual(a.token, b.token);
  assert.match(a.token, /^[0-9a-f]{32}$/);
  const peerB = await dial();
  const peerA = await dial();
  const helloB = hello(b.token);
  peerB.socket.write(helloB.subarray(0, 5));
  peerA.socket.write(hello(a.token));
  // The rest of B's hello in a later segment: the listener must wait for the whole frame.
  await new Promise((r) => setImmediate(r));
  peerB.socket.write(helloB.subarray(5));

  for (const [expected, peer, pid] of [
    [a, peerA, 7],
    [b, peerB, 7],
  ] as const) {
    const socket = await expected.connected;
    const channel = new FastChannel(socket);
    socket.resume();
    assert.equal((await channel.hello).pid, pid, "the new owner reads the hello itself");
    const answer = channel.invoke({ requestId: "r1", payload: Buffer.from("{}"), deadlineMs: Date.now() + 1000 });
    assert.equal((await peer.next()).header.type, "invoke", "frames flow to the right peer");
    peer.socket.write(encodeFrame({ type: "result", id: "r1" }, `{"from":"${expected.token.slice(0, 4)}"}`));
    const r = await answer;
    assert.equal(r.kind, "success");
    assert.equal(JSON.parse((r as { payload: Buffer }).payload.toString()).from, expected.token.slice(0, 4));
    await channel.close();
  }
  assert.equal(listener.pending, 0);
});

test("disconnects an unknown token, a used token, a first frame that is not a hello, and garbage", async () => {
  const used = listener.expect();
  const first = await dial();
  first.socket.write(hello(used.token));
  (await used.connected).destroy();
  for (const bytes of [hello("f".repeat(32)), hello(used.token), encodeFrame({ type: "result", id: "x", token: used.token }), Buffer.alloc(8, 0xff)]) {
    const peer = await dial();
    peer.socket.write(bytes);
    await peer.closed;
  }
});

test("disconnects a peer that says nothing within the hello timeout", async () => {
  const peer = await dial();
  const t0 = Date.now();
  await peer.closed;
  assert.ok(Date.now() - t0 >= 250, "closed at the timeout, not before");
});

test("cancel() withdraws a token: connected rejects and a late hello is refused", async () => {
  const e = listener.expect();
  e.cancel();
  await assert.rejects(e.connected, /no longer expected/);
  const peer = await dial();
  peer.socket.write(hello(e.token));
  await peer.closed;
});

test("close() rejects what is still expected", async () => {
  const l = await ChannelListener.start();
  const e = l.expect();
  await l.close();
  await assert.rejects(e.connected, /closed/);
  await assert.rejects(l.expect().connected, /closed/);
});
