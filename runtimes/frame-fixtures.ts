/**
 * The golden frames of the fast channel (runtimes/PROTOCOL.md), built with protocol/frame.ts and
 * stored as bytes under runtimes/fixtures/frames/: one `<case>.bin` per case and `frames.json`
 * saying what each decodes to. Three suites replay them: the runner's (protocol/frame.ts and the
 * runner's FastChannel), the Node bootstrap's (runtimes/node/lib/frame.mjs) and the Python
 * bootstrap's (runtimes/python/bootstrap.py), so the three codecs are proven to agree on the same
 * bytes rather than each on its own idea of them. frame-fixtures.test.ts checks that this file
 * still reproduces the committed bytes exactly, so a codec change cannot drift silently.
 *
 * Regenerate after a deliberate change: `node --import tsx runtimes/frame-fixtures.ts --write`.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_MAX_FRAME_BYTES, FRAME_PREFIX_BYTES, FrameBatch, encodeFrame, type FrameHeader } from "../protocol/frame.ts";

export const FRAME_FIXTURES_DIR = fileURLToPath(new URL("./fixtures/frames/", import.meta.url));
export const MANIFEST_FILE = "frames.json";

/** One frame a decoder must emit. */
export interface GoldenFrame {
  /** The header as a decoder returns it. */
  header: FrameHeader;
  /** The header's exact JSON text on the wire: encoding it with the body reproduces the bytes. */
  headerText: string;
  /** The body as UTF-8 text, when it is text; otherwise bodyHex. */
  bodyText?: string;
  /** The body's bytes in hex, when it is not UTF-8 text. */
  bodyHex?: string;
  /** The body is bodyText or bodyHex repeated this many times (keeps large bodies out of the manifest). */
  bodyRepeat?: number;
  /**
   * The header is in the compact form a reader takes without JSON.parse: "invoke" (the Node
   * bootstrap's invokeHeader) or "reply" (protocol/frame.ts's reply-header reader).
   */
  compact?: "invoke" | "reply";
}

export interface GoldenCase {
  name: string;
  /** `<name>.bin` in the fixtures directory. */
  file: string;
  /** Who writes these bytes: the runner (to an instance or the code loader), an instance, or the code loader. */
  from: "runner" | "instance" | "loader";
  about: string;
  /** What a decoder emits, in order, before any error. */
  frames: GoldenFrame[];
  /** Deliver the bytes in reads of these sizes, then the rest in one more: a split read. */
  reads?: number[];
  /** The decoder must refuse the bytes after `frames` with exactly this message. */
  error?: string;
  /** The bytes end inside a frame: a decoder emits `frames` and waits for more. */
  incomplete?: true;
}

export interface GoldenManifest {
  about: string;
  maxFrameBytes: number;
  prefixBytes: number;
  cases: GoldenCase[];
}

interface Built {
  manifest: GoldenManifest;
  /** File name → bytes. */
  files: Map<string, Buffer>;
}

const REQUEST_ID = "0f6c1f0e-8a4b-4c1e-9d1a-2b3c4d5e6f70";
const DEADLINE = 1796580000123;
const MAX = DEFAULT_MAX_FRAME_BYTES;

function frame(headerText: string, body: Buffer | string = "", compact?: GoldenFrame["compact"], repeat?: number): GoldenFrame {
  const b = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const isText = Buffer.from(b.toString("utf8"), "utf8").equals(b) && !/[\u0000-\u0008\u000e-\u001f]/.test(b.toString("utf8"));
  return {
    header: JSON.parse(headerText) as FrameHeader,
    headerText,
    ...(isText ? { bodyText: b.toString("utf8") } : { bodyHex: b.toString("hex") }),
    ...(repeat ? { bodyRepeat: repeat } : {}),
    ...(compact ? { compact } : {}),
  };
}

/** A golden frame's body bytes. */
export function goldenBody(f: GoldenFrame): Buffer {
  const unit = f.bodyHex !== undefined ? Buffer.from(f.bodyHex, "hex") : Buffer.from(f.bodyText ?? "", "utf8");
  return f.bodyRepeat ? Buffer.concat(Array.from({ length: f.bodyRepeat }, () => unit)) : unit;
}

/** The ways a case's bytes are delivered: whole, byte by byte, its own reads, cut in two anywhere. */
export function goldenDeliveries(c: GoldenCase, all: Buffer): Array<{ how: string; chunks: Buffer[] }> {
  const out = [{ how: "in one read", chunks: [all] }];
  out.push({ how: "one byte per read", chunks: Array.from({ length: all.length }, (_, i) => all.subarray(i, i + 1)) });
  if (c.reads) {
    const chunks: Buffer[] = [];
    let off = 0;
    for (const n of c.reads) chunks.push(all.subarray(off, (off += n)));
    chunks.push(all.subarray(off));
    out.push({ how: `in reads of ${c.reads.join(", ")} and the rest`, chunks });
  }
  if (all.length <= 4096) for (let cut = 1; cut < all.length; cut++) out.push({ how: `cut at ${cut}`, chunks: [all.subarray(0, cut), all.subarray(cut)] });
  return out;
}

function bytesOf(f: GoldenFrame): Buffer {
  return encodeFrame(f.headerText, goldenBody(f));
}

/** A frame prefix announcing `total` bytes with a header of `headerText`, followed by that header only. */
function announced(headerText: string, total: number): Buffer {
  const hl = Buffer.byteLength(headerText);
  const prefix = Buffer.alloc(FRAME_PREFIX_BYTES);
  prefix.writeUInt32BE(hl, 0);
  prefix.writeUInt32BE(total - FRAME_PREFIX_BYTES - hl, 4);
  return Buffer.concat([prefix, Buffer.from(headerText)]);
}

function tooLarge(total: number): string {
  return `frame of ${total} bytes exceeds the ${MAX}-byte limit`;
}

const BAD_JSON = "frame header is not valid JSON";
const NO_TYPE = 'frame header is not an object with a string "type"';

/** Build every case and its bytes from protocol/frame.ts. */
export function buildFrameFixtures(): Built {
  const files = new Map<string, Buffer>();
  const cases: GoldenCase[] = [];
  const add = (c: Omit<GoldenCase, "file">, bytes?: Buffer): void => {
    const file = `${c.name}.bin`;
    // Valid cases are exactly their frames, encoded one after another (FrameBatch for several).
    let out = bytes;
    if (!out) {
      if (c.frames.length === 1) out = bytesOf(c.frames[0]!);
      else {
        const batch = new FrameBatch();
        for (const f of c.frames) batch.add(f.headerText, goldenBody(f));
        out = Buffer.concat(batch.take());
      }
    }
    files.set(file, out);
    cases.push({
      name: c.name,
      file,
      from: c.from,
      about: c.about,
      frames: c.frames,
      ...(c.reads ? { reads: c.reads } : {}),
      ...(c.error ? { error: c.error } : {}),
      ...(c.incomplete ? { incomplete: true } : {}),
    });
  };

  const initHeader = JSON.stringify({
    type: "init",
    taskRoot: "/var/task",
    handler: "index.handler",
    functionName: "echo",
    functionVersion: "3",
    memorySize: 256,
    timeout: 5,
    env: { GREETING: "héllo, wörld ✓", EMPTY: "" },
    concurrency: 16,
  });
  const invokeCompact = frame(`{"type":"invoke","id":"${REQUEST_ID}","deadline":${DEADLINE}}`, '{"key":"value","n":[1,2,3]}', "invoke");
  const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const clientContext = Buffer.from('{"custom":{"a":1}}').toString("base64");
  const invokeTraced = frame(
    `{"type":"invoke","id":"req-2","deadline":${DEADLINE},"traceparent":"${traceparent}","clientContext":"${clientContext}"}`,
    '{"héllo":"wörld"}',
  );
  const invokeCompactTraced = frame(`{"type":"invoke","id":"req-4","deadline":${DEADLINE},"traceparent":"${traceparent}"}`, '{"n":4}', "invoke");
  const invokeEmpty = frame(`{"type":"invoke","id":"req.3:a_b-c","deadline":0}`, "", "invoke");
  const invokeQualified = frame(`{"type":"invoke","id":"req-5","qualifier":"live","deadline":${DEADLINE},"traceparent":"${traceparent}"}`, '{"n":5}', "invoke");
  // Error documents in AWS's Node.js runtime's shape (`trace`); the runner keeps them as sent.
  const initErrorBody = JSON.stringify({
    errorType: "Runtime.ImportModuleError",
    errorMessage: "Error: Cannot find module 'missing'",
    trace: ["Runtime.ImportModuleError: Error: Cannot find module 'missing'", "    at load (index.js:1:1)"],
  });
  const functionError = JSON.stringify({ errorType: "Error", errorMessage: "boom", trace: ["Error: boom", "    at handler (index.js:2:9)"] });
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  // ---- runner → instance
  add({ name: "init", from: "runner", about: "init with every field, non-ASCII environment values; empty body", frames: [frame(initHeader)] });
  add({
    name: "invoke-compact",
    from: "runner",
    about: "invoke header in the compact form the runner writes without trace or client context",
    frames: [invokeCompact],
  });
  add({ name: "invoke-traced", from: "runner", about: "invoke with traceparent and clientContext (not the compact form); non-ASCII event", frames: [invokeTraced] });
  add({
    name: "invoke-compact-traced",
    from: "runner",
    about: "invoke header in the compact form with a traceparent (every traced or front-door invocation without client context)",
    frames: [invokeCompactTraced],
  });
  add({ name: "invoke-empty-body", from: "runner", about: "compact invoke header, empty body", frames: [invokeEmpty] });
  add({
    name: "invoke-compact-qualified",
    from: "runner",
    about: "compact invoke header with the qualifier invoked through (an alias) and a traceparent",
    frames: [invokeQualified],
  });
  add({
    name: "batch-invokes",
    from: "runner",
    about: "three invokes in one write, as the runner's FrameBatch sends a turn's frames",
    frames: [invokeCompact, invokeTraced, invokeEmpty],
  });

  // ---- instance → runner
  add({
    name: "hello-node",
    from: "instance",
    about: "the Node bootstrap's hello",
    frames: [frame('{"type":"hello","runtime":"node","version":"v20.11.1","pid":4242}')],
  });
  add({
    name: "hello-python-tcp",
    from: "instance",
    about: "the Python bootstrap's hello over TCP: json.dumps spacing, with the token",
    frames: [frame('{"type": "hello", "runtime": "python", "version": "3.12.1", "pid": 77, "token": "9f86d081884c7d65d1b2f1c5c2f1a0e3"}')],
  });
  add({ name: "ready", from: "instance", about: "ready after a successful init; empty body", frames: [frame('{"type":"ready"}')] });
  add({ name: "init-error", from: "instance", about: "initError with its JSON error body", frames: [frame('{"type":"initError"}', initErrorBody)] });
  add({ name: "exiting", from: "instance", about: "exiting: a fatal error, the instance answers what is in flight and exits; empty body", frames: [frame('{"type":"exiting"}')] });
  add({
    name: "result-compact",
    from: "instance",
    about: "result in the compact reply form both bootstraps write",
    frames: [frame(`{"type":"result","id":"${REQUEST_ID}"}`, '{"statusCode":200,"body":"héllo"}', "reply")],
  });
  add({
    name: "error-compact",
    from: "instance",
    about: "error in the compact reply form",
    frames: [frame('{"type":"error","id":"req.1:a_b-c"}', functionError, "reply")],
  });
  add({ name: "result-empty-body", from: "instance", about: "compact result header, empty body", frames: [frame('{"type":"result","id":""}', "", "reply")] });
  add({
    name: "result-escaped-id",
    from: "instance",
    about: "result whose id needs escapes and non-ASCII: not the compact form, read through JSON.parse",
    frames: [frame('{"type":"result","id":"a\\"b\\\\ é"}', "null")],
  });
  add({
    name: "result-spaced",
    from: "instance",
    about: "result header with spaces and an extra field: read through JSON.parse",
    frames: [frame('{"type": "result", "id": "r1", "extra": 1}', "[]")],
  });
  add({
    name: "result-large-body",
    from: "instance",
    about: "a 70 KB body (opaque bytes: no codec parses bodies), over the 64 KB limit above which encoders write the body apart",
    frames: [frame('{"type":"result","id":"big"}', "0123456789abcdef", "reply", 4480)],
  });
  add({
    name: "batch-replies",
    from: "instance",
    about: "result, error and result in one write, as a bootstrap flushes the replies of one tick",
    frames: [
      frame('{"type":"result","id":"r1"}', '{"n":1}', "reply"),
      frame('{"type":"error","id":"r2"}', functionError, "reply"),
      frame('{"type":"result","id":"r3"}', "null", "reply"),
    ],
  });
  add({
    name: "streamed-response",
    from: "instance",
    about: "a streaming handler's response: the first chunk carries the content type (an HTTP integration response), then its bytes (the JSON prelude, 8 NUL bytes, the body) as written, and an empty result ends it",
    frames: [
      frame('{"type":"chunk","id":"st1","contentType":"application/vnd.awslambda.http-integration-response"}'),
      frame('{"type":"chunk","id":"st1"}', Buffer.concat([Buffer.from('{"statusCode":201,"headers":{"x-custom":"yes"}}'), Buffer.alloc(8)])),
      frame('{"type":"chunk","id":"st1"}', "first;"),
      frame('{"type":"chunk","id":"st1"}', "second"),
      frame('{"type":"result","id":"st1"}', "", "reply"),
    ],
  });
  add({
    name: "streamed-error",
    from: "instance",
    about: "a streaming handler that failed part-way: its chunks, then the error that ends the stream",
    frames: [
      frame('{"type":"chunk","id":"st2","contentType":"text/plain"}'),
      frame('{"type":"chunk","id":"st2"}', "partial;"),
      frame('{"type":"error","id":"st2"}', functionError, "reply"),
    ],
  });
  add({
    name: "split-reads",
    from: "instance",
    about: "two frames delivered in reads that cut the first prefix, the first header, the first body and the second prefix",
    frames: [frame('{"type":"result","id":"s1"}', '{"split":true}', "reply"), frame('{"type":"ready"}')],
    reads: [3, 10, 25, 13, 1],
  });

  // ---- the docker code loader (same frames, its own messages)
  add({ name: "loader-hello", from: "loader", about: "the code loader's hello", frames: [frame('{"type":"hello","root":"/code"}')] });
  add({
    name: "loader-write-binary",
    from: "runner",
    about: "a code-loader write whose body is every byte value 0-255",
    frames: [frame('{"type":"write","path":"v/.tmp-1/blob.bin","mode":420,"append":true,"id":2}', allBytes)],
  });
  add({
    name: "loader-replies",
    from: "loader",
    about: "the code loader's ok and error replies",
    frames: [frame('{"type":"ok","id":1}'), frame('{"type":"error","id":2,"message":"path \\"../x\\" leaves the code root"}')],
  });

  // ---- invalid
  const oversizeHeader = '{"type":"result","id":"big"}';
  const oversizeTotal = FRAME_PREFIX_BYTES + Buffer.byteLength(oversizeHeader) + MAX;
  add(
    {
      name: "oversize",
      from: "instance",
      about: "a prefix announcing a 64 MiB body: refused from the prefix alone, before buffering it",
      frames: [],
      error: tooLarge(oversizeTotal),
    },
    announced(oversizeHeader, oversizeTotal),
  );
  add(
    { name: "oversize-by-one", from: "runner", about: "a frame one byte over the maximum (prefix included)", frames: [], error: tooLarge(MAX + 1) },
    announced('{"type":"invoke"}', MAX + 1),
  );
  const ready = frame('{"type":"ready"}');
  // Both lengths at their u32 maximum: the total (8 + 2 × 4294967295) must not wrap around.
  const maxPrefix = Buffer.alloc(FRAME_PREFIX_BYTES, 0xff);
  add(
    {
      name: "oversize-after-frame",
      from: "instance",
      about: "a valid frame, then a prefix with both lengths at the u32 maximum in the same read: the frame is emitted, then the refusal",
      frames: [ready],
      error: tooLarge(FRAME_PREFIX_BYTES + 2 * 0xffffffff),
    },
    Buffer.concat([bytesOf(ready), maxPrefix]),
  );
  for (const [name, text, error, about] of [
    ["header-not-json", "{x:", BAD_JSON, "a header that is not JSON"],
    ["header-without-type", '{"id":"1"}', NO_TYPE, "a JSON header without a type"],
    ["header-type-not-string", '{"type":7}', NO_TYPE, "a header whose type is not a string"],
    ["header-array", '["type"]', NO_TYPE, "a header that is a JSON array"],
    ["header-null", "null", NO_TYPE, "a header that is JSON null"],
    ["reply-header-unterminated", '{"type":"result","id":"r1"', BAD_JSON, "a reply-looking header that is not valid JSON is refused too"],
  ] as const) {
    add({ name, from: "instance", about, frames: [], error }, encodeFrame(text, "{}"));
  }
  const truncatedNext = encodeFrame('{"type":"result","id":"t2"}', '{"cut":"here"}');
  add(
    {
      name: "truncated",
      from: "instance",
      about: "a frame, then the first part of another: a decoder emits the first and waits for the rest",
      frames: [ready],
      incomplete: true,
    },
    Buffer.concat([bytesOf(ready), truncatedNext.subarray(0, truncatedNext.length - 5)]),
  );

  const manifest: GoldenManifest = {
    about:
      "Golden frames of the fast channel (runtimes/PROTOCOL.md). Generated by runtimes/frame-fixtures.ts from protocol/frame.ts; do not edit by hand.",
    maxFrameBytes: MAX,
    prefixBytes: FRAME_PREFIX_BYTES,
    cases,
  };
  files.set(MANIFEST_FILE, Buffer.from(JSON.stringify(manifest, null, 2) + "\n"));
  return { manifest, files };
}

/** The committed fixtures: the manifest, and each case's bytes. */
export function loadFrameFixtures(dir = FRAME_FIXTURES_DIR): { manifest: GoldenManifest; bytes: (c: GoldenCase) => Buffer } {
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), "utf8")) as GoldenManifest;
  return { manifest, bytes: (c) => readFileSync(join(dir, c.file)) };
}

/** Write the fixtures, removing files of cases that no longer exist. */
export function writeFrameFixtures(dir = FRAME_FIXTURES_DIR): void {
  const { files } = buildFrameFixtures();
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (!files.has(name)) rmSync(join(dir, name));
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (!process.argv.includes("--write")) {
    process.stderr.write("usage: node --import tsx runtimes/frame-fixtures.ts --write   (rewrites runtimes/fixtures/frames/)\n");
    process.exit(2);
  }
  writeFrameFixtures();
  process.stdout.write(`wrote ${buildFrameFixtures().files.size} files to ${FRAME_FIXTURES_DIR}\n`);
}
