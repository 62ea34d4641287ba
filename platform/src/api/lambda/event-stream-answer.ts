/**
 * The answer of Lambda's InvokeWithResponseStream (POST /2021-11-15/functions/{name}/response-streaming-invocations)
 * in the AWS event-stream encoding (application/vnd.amazon.eventstream) the SDK's
 * InvokeWithResponseStreamCommand reads: a `PayloadChunk` event per piece of the response as the
 * handler writes it, then one `InvokeComplete` event with `ErrorCode`/`ErrorDetails` when the
 * invocation failed (a handler error, a timeout…) and `LogResult` when the log tail was asked for.
 * A handler that does not stream gets its whole response as one PayloadChunk. The binary framing
 * (prelude, headers, CRCs) is @smithy/core's EventStreamCodec, the SDK's own.
 */
import type { ServerResponse } from "node:http";
import { EventStreamCodec, type Message } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/core/serde";
import { errorFields } from "../../../../protocol/error-document.ts";
import type { InvokeOutcome, ResponseStreamSink } from "../../../../protocol/invoke.ts";
import { AS_FUNCTION_ERROR } from "./index.ts";

export const EVENT_STREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream";

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function event(type: string, contentType: string, body: Uint8Array): Buffer {
  const message: Message = {
    headers: {
      ":event-type": { type: "string", value: type },
      ":message-type": { type: "string", value: "event" },
      ":content-type": { type: "string", value: contentType },
    },
    body,
  };
  const bytes = codec.encode(message);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One `PayloadChunk` event carrying `bytes`. */
export function payloadChunkEvent(bytes: Uint8Array): Buffer {
  return event("PayloadChunk", "application/octet-stream", bytes);
}

/** What `InvokeComplete` says: empty for a success. */
export interface InvokeCompleteFields {
  ErrorCode?: string;
  ErrorDetails?: string;
  LogResult?: string;
}

/** The `InvokeComplete` event that ends the stream. */
export function invokeCompleteEvent(fields: InvokeCompleteFields): Buffer {
  return event("InvokeComplete", "application/json", Buffer.from(JSON.stringify(fields)));
}

/** InvokeComplete's error fields for an outcome: the handler's error type and message, or the platform's. */
export function completionOf(outcome: InvokeOutcome): InvokeCompleteFields {
  if (outcome.kind === "success") return {};
  if (outcome.kind === "function-error") {
    const f = errorFields(outcome.payload, "Unhandled");
    return { ErrorCode: f.errorType, ErrorDetails: f.errorMessage };
  }
  if (outcome.errorDocument) {
    const f = errorFields(outcome.errorDocument, "Runtime.InitError");
    return { ErrorCode: f.errorType, ErrorDetails: f.errorMessage };
  }
  return { ErrorCode: AS_FUNCTION_ERROR[outcome.code] ?? outcome.code, ErrorDetails: outcome.message };
}

/**
 * The response stream as events, written as they come. The 200 and its headers leave with the
 * first chunk (or at the end, for a handler that did not stream), so a failure before the
 * handler runs can still be answered as Lambda's error instead.
 */
export class EventStreamAnswer implements ResponseStreamSink {
  private started = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly headers: () => Record<string, string>,
  ) {
    res.on("error", () => {}); // a client gone mid-stream: the invocation still runs to its end
  }

  /** Whether the 200 is out (the stream can then only be ended, not turned into an error answer). */
  get begun(): boolean {
    return this.started;
  }

  /** The handler's own content type stays inside the events (Lambda answers the event stream's). */
  begin(): void {
    this.start();
  }

  write(chunk: Buffer): void {
    this.start();
    if (!this.res.writableEnded) this.res.write(payloadChunkEvent(chunk));
  }

  /** End with the outcome: a non-streamed payload as one chunk, then InvokeComplete. */
  complete(outcome: InvokeOutcome, logResult: string | undefined): void {
    this.start();
    if (outcome.kind === "success" && outcome.payload.length > 0 && !this.res.destroyed) this.res.write(payloadChunkEvent(outcome.payload));
    const fields = completionOf(outcome);
    if (logResult !== undefined) fields.LogResult = logResult;
    if (!this.res.destroyed) this.res.end(invokeCompleteEvent(fields));
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, { ...this.headers(), "content-type": EVENT_STREAM_CONTENT_TYPE });
    this.res.flushHeaders();
  }
}
