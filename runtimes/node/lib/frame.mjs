/**
 * The fast channel's frame codec on the instance side (runtimes/PROTOCOL.md), zero npm
 * dependencies: the one copy the Node bootstrap (fast-channel.mjs, bootstrap.mjs) and the docker
 * code loader (code-loader.mjs) share, since they are copied into runtime images and cannot import
 * protocol/frame.ts. The golden fixtures in runtimes/fixtures/frames prove it agrees byte for byte
 * with protocol/frame.ts and the Python bootstrap.
 *
 *   u32 BE headerLength | u32 BE bodyLength | header (UTF-8 JSON with "type") | body (raw bytes)
 */

export const PREFIX_BYTES = 8;
/** Largest frame accepted (prefix included): protocol/frame.ts's DEFAULT_MAX_FRAME_BYTES. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** The peer sent something that is not a valid frame; the channel cannot recover. */
export class FrameError extends Error {
  constructor(message) {
    super(message);
    this.name = "FrameError";
  }
}

function tooLarge(total, max) {
  return new FrameError(`frame of ${total} bytes exceeds the ${max}-byte limit`);
}

/**
 * Encode one frame into one buffer. `header` is an object or its JSON text, `body` a string
 * (written as UTF-8) or a Buffer. For frames sent one at a time (hello, the code loader's replies);
 * the bootstrap's replies go through an Outbox.
 */
export function encodeFrame(header, body = "") {
  const text = typeof header === "string" ? header : JSON.stringify(header);
  const hl = Buffer.byteLength(text);
  const bl = typeof body === "string" ? Buffer.byteLength(body) : body.length;
  const buf = Buffer.allocUnsafe(PREFIX_BYTES + hl + bl);
  buf.writeUInt32BE(hl, 0);
  buf.writeUInt32BE(bl, 4);
  buf.write(text, PREFIX_BYTES, hl, "utf8");
  if (typeof body === "string") buf.write(body, PREFIX_BYTES + hl, bl, "utf8");
  else body.copy(buf, PREFIX_BYTES + hl);
  return buf;
}

/** Bytes of the staging buffer small frames are encoded into. */
const STAGE_BYTES = 64 * 1024;

/**
 * Frames queued in the same tick leave in one write (one syscall per batch of invocations the
 * runner sent together, not one per reply). Small frames are encoded straight into one reused
 * staging buffer and leave as one copy of it; a frame whose body may pass 64 KB gets buffers of
 * its own, so a 5 MB result is not copied twice. `sink` is a net.Socket (write, cork, uncork).
 */
export class Outbox {
  constructor(sink) {
    this.sink = sink;
    this.stage = Buffer.allocUnsafeSlow(STAGE_BYTES);
    this.staged = 0; // end of the encoded bytes in stage
    this.sealed = 0; // start of the staged bytes not yet copied into parts
    this.parts = [];
    this.frames = 0;
    this.flush = () => {
      this.seal();
      const parts = this.parts;
      this.parts = [];
      this.frames = 0;
      this.staged = this.sealed = 0;
      if (parts.length === 0) return;
      if (parts.length === 1) sink.write(parts[0]);
      else {
        sink.cork();
        for (const p of parts) sink.write(p);
        sink.uncork();
      }
    };
  }

  /** Queue one frame; `header` is JSON text, `body` a string. */
  frame(header, body) {
    if (this.frames++ === 0) process.nextTick(this.flush);
    // UTF-8 takes at most three bytes per UTF-16 unit: what may not fit in the stage goes apart.
    const most = PREFIX_BYTES + 3 * (header.length + body.length);
    if (most > STAGE_BYTES) {
      this.seal();
      const hl = Buffer.byteLength(header);
      const bodyBuf = Buffer.from(body, "utf8");
      const head = Buffer.allocUnsafe(PREFIX_BYTES + hl);
      head.writeUInt32BE(hl, 0);
      head.writeUInt32BE(bodyBuf.length, 4);
      head.write(header, PREFIX_BYTES, hl, "utf8");
      this.parts.push(head, bodyBuf);
      return;
    }
    if (this.staged + most > STAGE_BYTES) {
      this.seal();
      this.staged = this.sealed = 0;
    }
    const at = this.staged;
    const hl = this.stage.write(header, at + PREFIX_BYTES, "utf8");
    const bl = body.length === 0 ? 0 : this.stage.write(body, at + PREFIX_BYTES + hl, "utf8");
    this.stage.writeUInt32BE(hl, at);
    this.stage.writeUInt32BE(bl, at + 4);
    this.staged = at + PREFIX_BYTES + hl + bl;
  }

  /** Queue one frame with a binary body (a streamed response's bytes); `header` is JSON text. */
  frameBytes(header, body) {
    if (this.frames++ === 0) process.nextTick(this.flush);
    this.seal();
    const hl = Buffer.byteLength(header);
    const head = Buffer.allocUnsafe(PREFIX_BYTES + hl);
    head.writeUInt32BE(hl, 0);
    head.writeUInt32BE(body.length, 4);
    head.write(header, PREFIX_BYTES, hl, "utf8");
    // Copied: the writer owns its buffer again once write() returns.
    this.parts.push(head, Buffer.from(body));
  }

  /** Copy the staged bytes not yet in parts into a buffer of their own (the stage is reused). */
  seal() {
    if (this.staged > this.sealed) this.parts.push(Buffer.from(this.stage.subarray(this.sealed, this.staged)));
    this.sealed = this.staged;
  }
}

/**
 * Streaming decoder: push chunks as they arrive; each complete frame is handed over as
 * `onFrame(buf, headerStart, headerEnd, bodyEnd)`, offsets into `buf` (valid during the call only),
 * so the hot path copies nothing and parses only what it needs. Chunks are joined only when a
 * frame spans them, and then only once. push() throws FrameError as soon as a frame's prefix
 * announces more than `maxFrameBytes`, before buffering it. Its state lives in a closure, not on
 * an object: the per-frame loop then reads locals (measurably cheaper on this hot path).
 */
export function createFrameReader(onFrame, maxFrameBytes = MAX_FRAME_BYTES) {
  let chunks = [];
  let buffered = 0; // bytes held in chunks
  let need = PREFIX_BYTES; // bytes needed before the held chunks can hold a whole frame
  return {
    /** Bytes received that do not yet form a complete frame. */
    get bufferedBytes() {
      return buffered;
    },
    push(chunk) {
      if (buffered > 0) {
        chunks.push(chunk);
        buffered += chunk.length;
        if (buffered < need) return;
        chunk = Buffer.concat(chunks, buffered);
        chunks = [];
        buffered = 0;
      }
      let off = 0;
      const len = chunk.length;
      while (len - off >= PREFIX_BYTES) {
        const hl = chunk.readUInt32BE(off);
        const total = PREFIX_BYTES + hl + chunk.readUInt32BE(off + 4);
        if (total > maxFrameBytes) throw tooLarge(total, maxFrameBytes);
        if (len - off < total) break;
        onFrame(chunk, off + PREFIX_BYTES, off + PREFIX_BYTES + hl, off + total);
        off += total;
      }
      if (off < len) {
        const rest = off === 0 ? chunk : chunk.subarray(off);
        chunks = [rest];
        buffered = rest.length;
        need = rest.length >= PREFIX_BYTES ? PREFIX_BYTES + rest.readUInt32BE(0) + rest.readUInt32BE(4) : PREFIX_BYTES;
        if (need > maxFrameBytes) throw tooLarge(need, maxFrameBytes);
      }
    },
  };
}

/** Parse a frame header with JSON.parse; FrameError unless it is an object with a string "type". */
export function readHeader(buf, start, end) {
  let h;
  try {
    h = JSON.parse(buf.toString("utf8", start, end));
  } catch {
    throw new FrameError("frame header is not valid JSON");
  }
  if (h === null || typeof h !== "object" || Array.isArray(h) || typeof h.type !== "string") {
    throw new FrameError('frame header is not an object with a string "type"');
  }
  return h;
}

const INVOKE_PREFIX = Buffer.from('{"type":"invoke","id":"');
const DEADLINE_KEY = Buffer.from('","deadline":');
const QUALIFIER_KEY = Buffer.from('","qualifier":"');

/** Whether buf[at, end) starts with key. */
function startsWith(buf, at, end, key) {
  if (at + key.length > end) return false;
  for (let k = 0; k < key.length; k++) if (buf[at + k] !== key[k]) return false;
  return true;
}

/**
 * The header of an invoke frame in the compact form the runner writes when it has no client
 * context (with or without a qualifier and a traceparent),
 * `{"type":"invoke","id":"<id>"[,"qualifier":"<q>"],"deadline":<ms>[,"traceparent":"<tp>"]}` with an
 * id and qualifier of plain ASCII, read without JSON.parse (once per invocation). Anything else
 * returns null and goes through readHeader.
 */
export function invokeHeader(buf, start, end) {
  const n = INVOKE_PREFIX.length;
  if (end - start < n + DEADLINE_KEY.length + 2 || buf[end - 1] !== 0x7d /* } */) return null;
  for (let i = 0; i < n; i++) if (buf[start + i] !== INVOKE_PREFIX[i]) return null;
  const idStart = start + n;
  let i = idStart;
  for (; i < end; i++) {
    const c = buf[i];
    if (c === 0x22 /* " */) break;
    if (c === 0x5c /* \ */ || c < 0x20 || c > 0x7e) return null;
  }
  const idEnd = i;
  let qualifier;
  if (startsWith(buf, idEnd, end, QUALIFIER_KEY)) {
    // `","qualifier":"<q>` between the id and the deadline: printable ASCII without `"` or `\`.
    const qStart = idEnd + QUALIFIER_KEY.length;
    for (i = qStart; i < end; i++) {
      const c = buf[i];
      if (c === 0x22 /* " */) break;
      if (c === 0x5c /* \ */ || c < 0x20 || c > 0x7e) return null;
    }
    qualifier = buf.toString("latin1", qStart, i);
  }
  const keyAt = i;
  if (end - keyAt < DEADLINE_KEY.length + 2) return null;
  if (!startsWith(buf, keyAt, end, DEADLINE_KEY)) return null;
  let deadline = 0;
  const digitsStart = keyAt + DEADLINE_KEY.length;
  const traced = tracedEnd(buf, digitsStart, end);
  const digitsEnd = traced === -1 ? end - 1 : traced;
  if (digitsEnd - digitsStart > 15 || digitsEnd === digitsStart) return null; // not an epoch-ms integer JSON.parse would give exactly
  for (let k = digitsStart; k < digitsEnd; k++) {
    const d = buf[k] - 0x30;
    if (d < 0 || d > 9) return null;
    deadline = deadline * 10 + d;
  }
  const h = { type: "invoke", id: buf.toString("latin1", idStart, idEnd), deadline };
  if (qualifier !== undefined) h.qualifier = qualifier;
  if (traced !== -1) h.traceparent = buf.toString("latin1", end - 2 - TRACEPARENT_LENGTH, end - 2);
  return h;
}

const TRACEPARENT_KEY = Buffer.from(',"traceparent":"');
const TRACEPARENT_LENGTH = 55;

/**
 * Where the deadline ends when the header closes with `,"traceparent":"<traceparent>"}` (the form
 * the runner writes for a traced invocation without client context), or -1. The traceparent must
 * be 55 characters of lowercase hex and dashes, so it needs no unescaping.
 */
function tracedEnd(buf, digitsStart, end) {
  const keyStart = end - 2 - TRACEPARENT_LENGTH - TRACEPARENT_KEY.length;
  if (keyStart <= digitsStart || buf[end - 2] !== 0x22 /* " */) return -1;
  for (let k = 0; k < TRACEPARENT_KEY.length; k++) if (buf[keyStart + k] !== TRACEPARENT_KEY[k]) return -1;
  for (let k = end - 2 - TRACEPARENT_LENGTH; k < end - 2; k++) {
    const c = buf[k];
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || c === 0x2d)) return -1;
  }
  return keyStart;
}
