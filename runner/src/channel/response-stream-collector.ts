/**
 * One streamed response on its way from an instance (fast-channel `chunk` frames, or a Runtime API
 * `/response` posted in streaming mode): hands the bytes to the invocation's sink as they arrive,
 * or buffers them when the caller wants the whole response (a plain invoke of a streaming
 * handler), enforces the size limit, and turns the end of the stream into the InstanceResult.
 */
import type { ResponseStreamSink } from "../../../protocol/invoke.ts";
import type { InstanceResult } from "../backends/backend.ts";
import { responseTooLarge } from "./instance-channel.ts";

const EMPTY = Buffer.alloc(0);

export class ResponseStreamCollector {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  /** The caller's sink, until it throws: then the rest of the stream is dropped, the invocation runs on. */
  private sink: ResponseStreamSink | undefined;
  /** Whether the bytes go to a sink (else they are buffered into the result). */
  private readonly streaming: boolean;

  constructor(
    readonly contentType: string,
    sink: ResponseStreamSink | undefined,
    private readonly limit: number,
  ) {
    this.sink = sink;
    this.streaming = sink !== undefined;
    this.deliver(() => sink?.begin(contentType));
  }

  /** Take the next bytes; returns the failure to answer when they pass the limit. */
  write(chunk: Buffer): InstanceResult | undefined {
    if (chunk.length === 0) return undefined;
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return { ...responseTooLarge(this.bytes, this.limit), streamed: { contentType: this.contentType } } as InstanceResult;
    if (this.streaming) this.deliver(() => this.sink?.write(chunk));
    // Copied: a frame body is a view into a larger received buffer, which it would keep alive.
    else this.chunks.push(Buffer.from(chunk));
    return undefined;
  }

  /** A sink that throws (its client gone, say) must not take the instance's channel down with it. */
  private deliver(call: () => void): void {
    try {
      call();
    } catch {
      this.sink = undefined;
    }
  }

  /** The stream ended: `errorDocument` when the handler failed part-way, else a success. */
  end(errorDocument?: Buffer): InstanceResult {
    const streamed = { contentType: this.contentType };
    if (errorDocument !== undefined) return { kind: "function-error", payload: errorDocument, streamed };
    const payload = this.streaming ? EMPTY : this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    return { kind: "success", payload, streamed };
  }
}
