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

/** Encode a frame into one buffer. */
export function encodeFrame(header: FrameHeader | string, body: Buffer | string = EMPTY): Buffer {
  const parts = encodeFrameParts(header, body);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
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
      let header: FrameHeader;
      try {
        header = JSON.parse(chunk.toString("utf8", hStart, hEnd)) as FrameHeader;
      } catch {
        throw new FrameError("frame header is not valid JSON");
      }
      if (header === null || typeof header !== "object" || typeof header.type !== "string") {
        throw new FrameError('frame header is not an object with a string "type"');
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
