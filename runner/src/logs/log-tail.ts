/**
 * The last LOG_TAIL_BYTES of one invocation's log, for Lambda's `LogType: Tail`: lines are kept
 * while they may still be part of the tail, and the text is cut on a UTF-8 character boundary.
 */
import { LOG_TAIL_BYTES } from "../../../protocol/function-logs.ts";

export class LogTail {
  private lines: string[] = [];
  private sizes: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly maxBytes = LOG_TAIL_BYTES) {}

  push(line: string): void {
    const size = Buffer.byteLength(line, "utf8") + 1;
    this.lines.push(line);
    this.sizes.push(size);
    this.bytes += size;
    // Drop lines from the front while the rest still fills the tail on its own.
    while (this.head < this.lines.length - 1 && this.bytes - this.sizes[this.head] >= this.maxBytes) {
      this.bytes -= this.sizes[this.head];
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  /** The lines, each ending in a newline, cut to the last maxBytes bytes. */
  text(): string {
    return lastBytes(this.lines.slice(this.head).map((l) => `${l}\n`).join(""), this.maxBytes);
  }
}

/** The last `max` bytes of `text` in UTF-8, starting on a character boundary. */
export function lastBytes(text: string, max: number): string {
  const buf = Buffer.from(text, "utf8");
  if (buf.length <= max) return text;
  let start = buf.length - max;
  while (start < buf.length && (buf[start] & 0xc0) === 0x80) start++;
  return buf.toString("utf8", start);
}
