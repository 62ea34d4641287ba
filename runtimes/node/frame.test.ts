/**
 * The Node bootstrap's side of the golden frames (runtimes/fixtures/frames): its one codec
 * (lib/frame.mjs) decodes every case as the manifest says however the reads are cut, refuses the
 * invalid ones with the same messages as protocol/frame.ts, reads compact invoke headers without
 * JSON.parse to the same header, and encodes (encodeFrame, the Outbox) to the stored bytes. The
 * bootstrap and the code loader, run as processes, leave with that message on a golden oversized
 * frame instead of buffering it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { goldenBody, goldenDeliveries, loadFrameFixtures, type GoldenCase } from "../frame-fixtures.ts";
// @ts-expect-error: the bootstrap's codec is dependency-free JavaScript without type declarations
import * as codec from "./lib/frame.mjs";

interface NodeCodec {
  MAX_FRAME_BYTES: number;
  FrameError: new (message: string) => Error;
  createFrameReader(onFrame: (buf: Buffer, hStart: number, hEnd: number, bEnd: number) => void, max?: number): { push(chunk: Buffer): void; bufferedBytes: number };
  readHeader(buf: Buffer, start: number, end: number): Record<string, unknown>;
  invokeHeader(buf: Buffer, start: number, end: number): Record<string, unknown> | null;
  encodeFrame(header: string | object, body?: string | Buffer): Buffer;
  Outbox: new (sink: { write(b: Buffer): void; cork(): void; uncork(): void }) => { frame(header: string, body: string): void; frameBytes(header: string, body: Buffer): void; flush(): void };
}
const { MAX_FRAME_BYTES, FrameError, createFrameReader, readHeader, invokeHeader, encodeFrame, Outbox } = codec as NodeCodec;

const HERE = fileURLToPath(new URL(".", import.meta.url));
const { manifest, bytes } = loadFrameFixtures();
const byName = (name: string): GoldenCase => {
  const c = manifest.cases.find((k) => k.name === name);
  assert.ok(c, `no golden case ${name}`);
  return c;
};

test("the bootstrap's maximum frame size is the protocol's", () => {
  assert.equal(MAX_FRAME_BYTES, manifest.maxFrameBytes);
});

test("lib/frame.mjs decodes every golden case as the manifest says, however the reads are cut", () => {
  for (const c of manifest.cases) {
    const want = c.frames.map((f) => [f.header, goldenBody(f).toString("hex")]);
    for (const { how, chunks } of goldenDeliveries(c, bytes(c))) {
      const got: unknown[] = [];
      // As the bootstrap reads a frame: the compact invoke form first, JSON.parse otherwise.
      const reader = createFrameReader((buf, hs, he, be) => got.push([invokeHeader(buf, hs, he) ?? readHeader(buf, hs, he), buf.toString("hex", he, be)]));
      const feed = () => {
        for (const chunk of chunks) reader.push(chunk);
      };
      if (c.error) assert.throws(feed, (e: unknown) => e instanceof FrameError && (e as Error).message === c.error, `${c.name} ${how}`);
      else {
        feed();
        assert.equal(reader.bufferedBytes > 0, c.incomplete === true, `${c.name} ${how}: bytes left over`);
      }
      assert.deepEqual(got, want, `${c.name} ${how}`);
    }
  }
});

test("compact invoke headers are read without JSON.parse to the same header; other invoke forms are left to it", () => {
  let compact = 0;
  for (const f of manifest.cases.flatMap((c) => c.frames).filter((f) => f.header.type === "invoke")) {
    const buf = Buffer.from(f.headerText);
    if (f.compact === "invoke") {
      compact++;
      assert.deepEqual(invokeHeader(buf, 0, buf.length), f.header, f.headerText);
    } else assert.equal(invokeHeader(buf, 0, buf.length), null, f.headerText);
  }
  assert.ok(compact > 0);
});

test("encodeFrame writes every golden frame as stored, from its header text or (when that is its JSON.stringify) its object", () => {
  for (const c of manifest.cases) {
    const all = bytes(c);
    let off = 0;
    for (const f of c.frames) {
      const body = goldenBody(f);
      const enc = encodeFrame(f.headerText, body);
      assert.ok(all.subarray(off, off + enc.length).equals(enc), `${c.name}: ${f.headerText}`);
      if (f.bodyHex === undefined) assert.ok(encodeFrame(f.headerText, body.toString("utf8")).equals(enc), `${c.name}: string body`);
      if (JSON.stringify(f.header) === f.headerText) assert.ok(encodeFrame(f.header, body).equals(enc), `${c.name}: header object`);
      off += enc.length;
    }
    if (!c.error && !c.incomplete) assert.equal(off, all.length, c.name);
  }
});

test("the Outbox sends a tick's replies as the stored bytes: small ones in one write, a large body apart", async () => {
  for (const name of ["batch-replies", "result-compact", "error-compact", "init-error", "ready", "result-large-body"]) {
    const writes: Buffer[] = [];
    const outbox = new Outbox({ write: (b) => void writes.push(Buffer.from(b)), cork() {}, uncork() {} });
    for (const f of byName(name).frames) outbox.frame(f.headerText, goldenBody(f).toString("utf8"));
    await new Promise((r) => process.nextTick(r));
    assert.ok(Buffer.concat(writes).equals(bytes(byName(name))), name);
    assert.equal(writes.length, name === "result-large-body" ? 2 : 1, `${name}: writes`);
  }
});

test("the Outbox sends a streamed response's chunk frames (binary bodies) as the stored bytes", async () => {
  for (const name of ["streamed-response", "streamed-error"]) {
    const writes: Buffer[] = [];
    const outbox = new Outbox({ write: (b) => void writes.push(Buffer.from(b)), cork() {}, uncork() {} });
    // As the bootstrap writes them: the content type frame and replies as text, the handler's bytes as bytes.
    for (const f of byName(name).frames) {
      if (f.header.type === "chunk" && !("contentType" in f.header)) outbox.frameBytes(f.headerText, goldenBody(f));
      else outbox.frame(f.headerText, goldenBody(f).toString("utf8"));
    }
    await new Promise((r) => process.nextTick(r));
    assert.ok(Buffer.concat(writes).equals(bytes(byName(name))), name);
  }
});

/** Exit code and stderr of a child after it is sent `input` on `to`. */
async function exitAfter(child: ReturnType<typeof spawn>, to: Writable, from: Readable, input: Buffer): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // Wait for its hello, so the bytes reach its decoder rather than racing its start.
  await new Promise((resolve) => from.once("data", resolve));
  from.resume();
  to.write(input);
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const code = await exited;
  clearTimeout(timer);
  return { code, stderr };
}

test("the bootstrap refuses a golden oversized or malformed frame: the reason on stderr, exit code 1", async () => {
  for (const name of ["oversize-by-one", "oversize-after-frame", "header-not-json"]) {
    const c = byName(name);
    const child = spawn(process.execPath, [join(HERE, "bootstrap.mjs")], { env: { PATH: process.env.PATH, HOTSWAP_CHANNEL_FD: "3" }, stdio: ["ignore", "pipe", "pipe", "pipe"] });
    const channel = child.stdio[3] as unknown as Writable & Readable;
    const { code, stderr } = await exitAfter(child, channel, channel, bytes(c));
    assert.equal(code, 1, `${name}: ${stderr}`);
    assert.ok(stderr.includes(`hotswap bootstrap: ${c.error}`), `${name}: ${stderr}`);
  }
});

test("the code loader refuses a golden oversized frame: the reason on stderr, exit code 2", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hs-loader-frames-"));
  try {
    const c = byName("oversize-by-one");
    const child = spawn(process.execPath, [join(HERE, "code-loader.mjs")], { env: { PATH: process.env.PATH, HOTSWAP_CODE_ROOT: join(dir, "code") }, stdio: ["pipe", "pipe", "pipe"] });
    const { code, stderr } = await exitAfter(child, child.stdin!, child.stdout!, bytes(c));
    assert.equal(code, 2, stderr);
    assert.ok(stderr.includes(`code-loader: ${c.error}`), stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
