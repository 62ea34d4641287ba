/**
 * Streamed replies of the runner fleet (Lambda response streaming across the control plane ↔
 * runner hop). The control plane asks with HEADER_STREAM when its invocation has a sink; a runner
 * whose handler then streams answers `200` with HEADER_REPLY_FORMAT `frames`, its body a sequence
 * of fast-channel frames (protocol/frame.ts) written as the handler writes:
 *   {"type":"begin","contentType":…} · {"type":"chunk"}+bytes … · {"type":"end","headers":{…}}+body
 * where the `end` frame's headers and body are exactly the plain reply's (outcomeHeaders(),
 * outcomeBody(), the placement headers), so decodeReply() reads the outcome as usual. A handler
 * that does not stream gets the plain reply: the format is chosen when the first byte is known.
 */
import { decodeReply, type RunnerReply } from "./fleet.ts";
import { encodeFrameParts, FrameDecoder, type Frame } from "./frame.ts";
import type { ResponseStreamSink } from "./invoke.ts";

/** Request header ("1"): the caller takes a streamed reply. */
export const HEADER_STREAM = "x-hotswap-stream";
/** Reply header: `frames` when the body is the framed stream described above. */
export const HEADER_REPLY_FORMAT = "x-hotswap-reply";
export const REPLY_FRAMES = "frames";

export function beginFrame(contentType: string): Buffer[] {
  return encodeFrameParts({ type: "begin", contentType });
}

export function chunkFrame(bytes: Buffer): Buffer[] {
  return encodeFrameParts('{"type":"chunk"}', bytes);
}

export function endFrame(headers: Record<string, string | number>, body: Buffer): Buffer[] {
  const strings: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) strings[k] = String(v);
  return encodeFrameParts({ type: "end", headers: strings }, body);
}

/** Reads a framed reply as it arrives: chunks go to `sink`, the `end` frame becomes the reply. */
export class StreamedReplyReader {
  private readonly decoder = new FrameDecoder((f) => this.onFrame(f));
  private reply: RunnerReply | undefined;

  constructor(private readonly sink: ResponseStreamSink) {}

  /** Feed body bytes; throws FrameError on a corrupt stream. */
  push(bytes: Buffer): void {
    this.decoder.push(bytes);
  }

  /** The reply, once the body ended; an InternalError outcome when it ended without its `end` frame. */
  finish(): RunnerReply {
    return (
      this.reply ?? {
        outcome: { kind: "platform-error", code: "RunnerLost", message: "the runner's streamed reply ended before the invocation did" },
        free: undefined,
        inflight: undefined,
      }
    );
  }

  private onFrame({ header, body }: Frame): void {
    if (header.type === "chunk") this.sink.write(Buffer.from(body));
    else if (header.type === "begin") this.sink.begin(String(header.contentType));
    else if (header.type === "end") {
      const raw: Buffer[] = [];
      for (const [k, v] of Object.entries((header.headers ?? {}) as Record<string, string>)) raw.push(Buffer.from(k, "latin1"), Buffer.from(String(v), "latin1"));
      this.reply = decodeReply(200, raw, Buffer.from(body));
    }
  }
}
