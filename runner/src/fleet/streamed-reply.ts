/**
 * The runner's half of a streamed fleet reply (protocol/fleet-stream.ts): a sink for one
 * invocation whose handler streams, writing the `begin` and `chunk` frames as they come and the
 * `end` frame (the outcome, as the plain reply carries it) last. Unused until the handler's first
 * byte, so a handler that does not stream is answered the plain way.
 */
import type { ServerResponse } from "node:http";
import type { ResponseStreamSink } from "../../../protocol/invoke.ts";
import { beginFrame, chunkFrame, endFrame, HEADER_REPLY_FORMAT, REPLY_FRAMES } from "../../../protocol/fleet-stream.ts";

export class StreamedReply implements ResponseStreamSink {
  private started = false;

  constructor(private readonly res: ServerResponse) {}

  /** Whether the framed reply began: the outcome must then go as its `end` frame. */
  get begun(): boolean {
    return this.started;
  }

  begin(contentType: string): void {
    if (this.started) return;
    this.started = true;
    this.res.on("error", () => {}); // the control plane gone: the invocation still runs to its end
    this.res.writeHead(200, { [HEADER_REPLY_FORMAT]: REPLY_FRAMES });
    this.send(beginFrame(contentType));
  }

  write(chunk: Buffer): void {
    this.send(chunkFrame(chunk));
  }

  /** The outcome: the plain reply's headers and body, as the last frame. */
  end(headers: Record<string, string | number>, body: Buffer): void {
    if (this.res.writableEnded) return;
    this.send(endFrame(headers, body));
    this.res.end();
  }

  private send(parts: Buffer[]): void {
    if (this.res.writableEnded) return;
    for (const p of parts) this.res.write(p);
  }
}
