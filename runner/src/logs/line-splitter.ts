/**
 * Splits an output stream's bytes into lines of at most LOG_LINE_MAX_BYTES. A longer line keeps
 * its first bytes (cut on a UTF-8 character boundary) followed by LOG_LINE_CUT_MARKER, and the
 * rest of it up to the newline is skipped, so one runaway line costs bounded memory.
 */
import { LOG_LINE_CUT_MARKER, LOG_LINE_MAX_BYTES } from "../../../protocol/function-logs.ts";

const NL = 0x0a;
const CR = 0x0d;

/** Largest n ≤ limit such that buf[0..n) ends on a UTF-8 character boundary. */
export function utf8Boundary(buf: Buffer, limit: number): number {
  let n = Math.min(limit, buf.length);
  if (n === buf.length) return n;
  // Back up over continuation bytes (10xxxxxx) to the start of the character cut in two.
  while (n > 0 && (buf[n] & 0xc0) === 0x80) n--;
  return n;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  /** Inside a line already cut: skip up to its newline. */
  private skipping = false;

  constructor(
    private readonly onLine: (text: string) => void,
    private readonly maxBytes = LOG_LINE_MAX_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    let nl = chunk.indexOf(NL, start);
    while (nl >= 0) {
      this.append(chunk, start, nl);
      this.emit();
      this.skipping = false;
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    if (start < chunk.length) this.append(chunk, start, chunk.length);
  }

  /** Emit what is buffered as a line (the stream ended, or output was dropped mid-line). */
  flush(): void {
    if (this.size > 0) this.emit();
    this.skipping = false;
  }

  private append(chunk: Buffer, from: number, to: number): void {
    if (this.skipping || to <= from) return;
    const room = this.maxBytes - this.size;
    if (to - from <= room) {
      this.parts.push(chunk.subarray(from, to));
      this.size += to - from;
      return;
    }
    // Over the cap: keep what fits (whole characters), mark the cut, skip the rest of the line.
    const joined = Buffer.concat([...this.parts, chunk.subarray(from, Math.min(to, from + room + 4))]);
    const keep = utf8Boundary(joined, this.maxBytes);
    this.parts = [];
    this.size = 0;
    this.onLine(joined.toString("utf8", 0, keep) + LOG_LINE_CUT_MARKER);
    this.skipping = true;
  }

  private emit(): void {
    if (this.skipping) {
      this.parts = [];
      this.size = 0;
      return;
    }
    let buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    if (buf.length > 0 && buf[buf.length - 1] === CR) buf = buf.subarray(0, buf.length - 1);
    this.parts = [];
    this.size = 0;
    this.onLine(buf.toString("utf8"));
  }
}
