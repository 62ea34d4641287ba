/**
 * Frame codec of the fast channel (runtimes/PROTOCOL.md):
 *   u32 BE headerLength | u32 BE bodyLength | header (UTF-8 JSON with "type") | body (raw bytes).
 * The body stays opaque bytes so the runner never parses or re-serialises payloads.
 */

export const FRAME_PREFIX_BYTES = 8;
/** Largest frame accepted by default: well above the 6 MB payload limit, far below anything absurd. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Bodies above this size are written as a separate buffer instead of being copied into one. */
const COPY_LIMIT = 64 * 1024;

export interface FrameHeader {
  type: string;
  [field: string]: unknown;
}

export interface Frame {
  header: FrameHeader;
  /** A view into the received bytes (no copy); empty when the frame has no body. */
  body: Buffer;
}

/** The peer sent something that is not a valid frame; the channel cannot recover. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Encode a frame as buffers to write in order: one buffer when the body is small, two (prefix and
 * header, then the body untouched) when it is large, to avoid copying multi-megabyte payloads.
 * `header` may be pre-serialised JSON text, which the hot path uses to skip JSON.stringify.
 */
export function encodeFrameParts(header: FrameHeader | string, body: Buffer | string = EMPTY): Buffer[] {
  const headerText = typeof header === "string" ? header : JSON.stringify(header);
  const hl = Buffer.byteLength(headerText);
  const bodyBuf = typeof body === "string" ? Buffer.from(body) : body;
  const bl = bodyBuf.length;
  if (bl > COPY_LIMIT) {
    const head = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + hl);
    head.writeUInt32BE(hl, 0);
    head.writeUInt32BE(bl, 4);
    head.write(headerText, FRAME_PREFIX_BYTES, hl, "utf8");
    return [head, bodyBuf];
  }
  const buf = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + hl + bl);
  buf.writeUInt32BE(hl, 0);
  buf.writeUInt32BE(bl, 4);
  buf.write(headerText, FRAME_PREFIX_BYTES, hl, "utf8");
  if (bl > 0) bodyBuf.copy(buf, FRAME_PREFIX_BYTES + hl);
  return [buf];
}

/** Bytes of the staging buffer a FrameBatch encodes small frames into. */
const STAGE_BYTES = 64 * 1024;

/**
 * The frames of one write, in order. Small frames are encoded straight into one reused staging
 * buffer (no buffer per frame, no join afterwards) and leave as one copy of it; a body over 64 KB
 * stays a buffer of its own, after its prefix and header, so a multi-megabyte payload is never
 * copied.
 */
export class FrameBatch {
  private stage = Buffer.allocUnsafeSlow(STAGE_BYTES);
  /** End of the encoded bytes in `stage`. */
  private staged = 0;
  /** Start of the bytes in `stage` not yet copied into `parts`. */
  private sealed = 0;
  private parts: Buffer[] = [];
  private count = 0;

  /** Frames added since the last take(). */
  get frames(): number {
    return this.count;
  }

  /** Queue one frame; `header` is the header's JSON text. */
  add(header: string, body: Buffer = EMPTY): void {
    const bl = body.length;
    this.count++;
    if (bl > COPY_LIMIT) {
      // Its own prefix-and-header buffer, then the body untouched.
      this.seal();
      this.parts.push(...encodeFrameParts(header, body));
      return;
    }
    // A header's UTF-8 length is at most three bytes per UTF-16 unit: reserve that, write, then
    // fill in the length actually written.
    this.reserve(FRAME_PREFIX_BYTES + header.length * 3 + bl);
    const at = this.staged;
    const hl = this.stage.write(header, at + FRAME_PREFIX_BYTES, "utf8");
    this.stage.writeUInt32BE(hl, at);
    this.stage.writeUInt32BE(bl, at + 4);
    if (bl > 0) body.copy(this.stage, at + FRAME_PREFIX_BYTES + hl);
    this.staged = at + FRAME_PREFIX_BYTES + hl + bl;
  }

  /** The queued frames as buffers to write in order, owned by the caller; the batch is empty again. */
  take(): Buffer[] {
    this.seal();
    const out = this.parts;
    this.parts = [];
    this.count = 0;
    this.staged = this.sealed = 0;
    return out;
  }

  /** Copy the staged bytes not yet in `parts` into a buffer of their own (the stage is reused). */
  private seal(): void {
    if (this.staged > this.sealed) this.parts.push(Buffer.from(this.stage.subarray(this.sealed, this.staged)));
    this.sealed = this.staged;
  }

  private reserve(n: number): void {
    if (this.staged + n <= this.stage.length) return;
    this.seal();
    this.staged = this.sealed = 0;
    if (n > this.stage.length) this.stage = Buffer.allocUnsafeSlow(Math.max(STAGE_BYTES, n));
  }
}

/** Encode a frame into one buffer. */
export function encodeFrame(header: FrameHeader | string, body: Buffer | string = EMPTY): Buffer {
  const parts = encodeFrameParts(header, body);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

const RESULT_PREFIX = Buffer.from('{"type":"result","id":"');
const ERROR_PREFIX = Buffer.from('{"type":"error","id":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;

/**
 * The header of a reply frame in the exact compact form the bootstraps write,
 * `{"type":"result","id":"<id>"}` or `{"type":"error","id":"<id>"}` with an id of plain ASCII
 * (request ids are `[A-Za-z0-9._:-]`), read without JSON.parse: one per invocation. Anything
 * else, spaces or escapes included, returns undefined and goes through JSON.parse.
 */
function replyHeader(buf: Buffer, start: number, end: number): FrameHeader | undefined {
  // The shortest reply header, {"type":"error","id":""}, is 24 bytes.
  if (end - start < 24 || buf[end - 1] !== CLOSE_BRACE || buf[end - 2] !== QUOTE) return undefined;
  let type: string;
  let idStart: number;
  if (buf[start + 9] === 0x72 /* r */ && prefixAt(buf, start, RESULT_PREFIX)) {
    type = "result";
    idStart = start + RESULT_PREFIX.length;
  } else if (buf[start + 9] === 0x65 /* e */ && prefixAt(buf, start, ERROR_PREFIX)) {
    type = "error";
    idStart = start + ERROR_PREFIX.length;
  } else return undefined;
  const idEnd = end - 2;
  if (idEnd < idStart) return undefined;
  for (let i = idStart; i < idEnd; i++) {
    const c = buf[i]!;
    if (c === QUOTE || c === BACKSLASH || c < 0x20 || c > 0x7e) return undefined;
  }
  return { type, id: buf.toString("latin1", idStart, idEnd) };
}

function prefixAt(buf: Buffer, start: number, prefix: Buffer): boolean {
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}

/**
 * Streaming decoder: push chunks as they arrive; complete frames are emitted in order.
 * Frames split across chunks are joined once, when the last byte arrives (no quadratic copying);
 * several frames in one chunk are all emitted.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before the buffered chunks can hold a complete frame (or its prefix). */
  private need = FRAME_PREFIX_BYTES;
  private readonly maxFrameBytes: number;

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    opts: { maxFrameBytes?: number } = {},
  ) {
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes received that do not yet form a complete frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feed received bytes. Throws FrameError on a malformed or oversized frame. */
  push(chunk: Buffer): void {
    if (this.buffered > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.buffered < this.need) return;
      chunk = Buffer.concat(this.chunks, this.buffered);
      this.chunks = [];
      this.buffered = 0;
    }
    let off = 0;
    const len = chunk.length;
    while (len - off >= FRAME_PREFIX_BYTES) {
      const hl = chunk.readUInt32BE(off);
      const bl = chunk.readUInt32BE(off + 4);
      const total = FRAME_PREFIX_BYTES + hl + bl;
      if (total > this.maxFrameBytes) {
        throw new FrameError(`frame of ${total} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
      }
      if (len - off < total) break;
      const hStart = off + FRAME_PREFIX_BYTES;
      const hEnd = hStart + hl;
      let header: FrameHeader | undefined = replyHeader(chunk, hStart, hEnd);
      if (header === undefined) {
        try {
          header = JSON.parse(chunk.toString("utf8", hStart, hEnd)) as FrameHeader;
        } catch {
          throw new FrameError("frame header is not valid JSON");
        }
        if (header === null || typeof header !== "object" || typeof header.type !== "string") {
          throw new FrameError('frame header is not an object with a string "type"');
        }
      }
      off += total;
      this.onFrame({ header, body: bl === 0 ? EMPTY : chunk.subarray(hEnd, off) });
    }
    if (off < len) {
      const rest = off === 0 ? chunk : chunk.subarray(off);
      this.chunks = [rest];
      this.buffered = rest.length;
      this.need =
        rest.length >= FRAME_PREFIX_BYTES
          ? FRAME_PREFIX_BYTES + rest.readUInt32BE(0) + rest.readUInt32BE(4)
          : FRAME_PREFIX_BYTES;
      if (this.need > this.maxFrameBytes) {
        throw new FrameError(`frame of ${this.need} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
      }
    }
  }
}
