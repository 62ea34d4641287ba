/**
 * Splits a helper's output into lines (the code loader's stderr), and keeps a bounded tail of
 * stderr so crash and init-failure messages can quote what the process said last. Function
 * output itself goes through runner/src/logs (InstanceLog), which feeds the tail.
 */
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/** Lines longer than this are emitted in pieces so one runaway line cannot grow memory. */
const MAX_LINE_CHARS = 64 * 1024;

export class LineTail {
  private readonly lines: string[] = [];
  constructor(
    private readonly maxLines = 30,
    private readonly maxChars = 8192,
  ) {}

  push(line: string): void {
    this.lines.push(line.length > 1024 ? `${line.slice(0, 1024)}…` : line);
    if (this.lines.length > this.maxLines) this.lines.shift();
  }

  toString(): string {
    const text = this.lines.join("\n");
    return text.length > this.maxChars ? text.slice(text.length - this.maxChars) : text;
  }
}

/**
 * Read `stream` to its end, calling `onLine` for every complete line (and the final partial one).
 * Resolves when the stream has ended or was destroyed.
 */
export function readLines(stream: Readable, onLine: (line: string) => void): Promise<void> {
  const decoder = new StringDecoder("utf8");
  let partial = "";
  return new Promise((resolve) => {
    stream.on("data", (chunk: Buffer) => {
      let text = partial + decoder.write(chunk);
      let nl = text.indexOf("\n");
      let start = 0;
      while (nl >= 0) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        onLine(text.slice(start, end));
        start = nl + 1;
        nl = text.indexOf("\n", start);
      }
      text = start === 0 ? text : text.slice(start);
      while (text.length > MAX_LINE_CHARS) {
        onLine(text.slice(0, MAX_LINE_CHARS));
        text = text.slice(MAX_LINE_CHARS);
      }
      partial = text;
    });
    const finish = () => {
      const rest = partial + decoder.end();
      partial = "";
      if (rest.length > 0) onLine(rest);
      resolve();
    };
    stream.once("end", finish);
    stream.once("close", finish);
    stream.on("error", () => {});
  });
}
