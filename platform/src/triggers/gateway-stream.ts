/**
 * An Http trigger answering a streaming handler as a Lambda function URL does: the response leaves
 * while the handler writes it, chunked. An HTTP integration response
 * (awslambda.HttpResponseStream.from) sets the status, headers and cookies in its prelude, which
 * goes through the same mapping as a buffered result (gateway-result.ts); any other stream is a
 * 200 with the content type the handler set. A failure after the first bytes can only end the
 * stream (the status is out); a failure before them is answered as a buffered one.
 */
import type { ServerResponse } from "node:http";
import type { InvokeOutcome, ResponseStreamSink } from "../../../protocol/invoke.ts";
import { HTTP_INTEGRATION_CONTENT_TYPE, PreludeSplitter } from "../../../protocol/response-stream.ts";
import { mapResult, type GatewayAnswer } from "./gateway-result.ts";

export class GatewayStream implements ResponseStreamSink {
  private started = false;
  private splitter: PreludeSplitter | undefined;
  /** Why the stream could not be answered (a bad prelude): the execution's failure. */
  private failure: string | undefined;

  /**
   * `extraHeaders` are the gateway's own (CORS, request ids); `bodiless` for HEAD.
   */
  constructor(
    private readonly res: ServerResponse,
    private readonly extraHeaders: Record<string, string>,
    private readonly bodiless: boolean,
  ) {}

  /** Whether the handler began streaming: the outcome then ends the stream (end()). */
  get begun(): boolean {
    return this.started || this.failure !== undefined || this.splitter !== undefined;
  }

  begin(contentType: string): void {
    if (contentType === HTTP_INTEGRATION_CONTENT_TYPE) this.splitter = new PreludeSplitter();
    else this.start({ status: 200, headers: { "content-type": contentType }, body: Buffer.alloc(0) });
  }

  write(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    if (this.splitter !== undefined) {
      const step = this.splitter.push(chunk);
      if (step.kind === "pending") return;
      this.splitter = undefined;
      if (step.kind === "invalid") return this.fail(`The function's HTTP response prelude is invalid: ${step.reason}`);
      const { body: _ignored, ...prelude } = (step.prelude ?? {}) as Record<string, unknown>;
      const answer = mapResult({ statusCode: 200, ...prelude, headers: { "content-type": "application/octet-stream", ...(prelude.headers as object | undefined) } });
      // The prelude carries no body, so a body here is mapResult's own error answer: a prelude it refused.
      if (answer.body.length > 0) return this.fail(answer.failure ?? "The function's HTTP response prelude is invalid");
      this.start(answer);
      chunk = step.rest;
    }
    if (chunk.length > 0 && !this.bodiless && !this.res.writableEnded) this.res.write(chunk);
  }

  /** End the stream; returns why the execution failed, if it did. */
  end(outcome: InvokeOutcome): string | undefined {
    // A stream that ended inside its prelude never said what to answer.
    if (this.splitter !== undefined && !this.started && this.failure === undefined) this.fail("The function's stream ended before its HTTP response prelude did");
    if (!this.res.destroyed) this.res.end();
    if (this.failure !== undefined) return this.failure;
    if (outcome.kind === "function-error") return "The function failed part-way through its streamed response";
    if (outcome.kind === "platform-error") return `${outcome.code}: ${outcome.message}`;
    return undefined;
  }

  private start(answer: GatewayAnswer): void {
    this.started = true;
    this.res.on("error", () => {}); // a client gone mid-stream: the invocation still runs to its end
    this.res.writeHead(answer.status, { ...answer.headers, ...this.extraHeaders });
    this.res.flushHeaders();
  }

  private fail(reason: string): void {
    this.failure = reason;
    this.splitter = undefined;
    if (this.started) return;
    this.res.on("error", () => {});
    const body = JSON.stringify({ message: "Internal Server Error" });
    this.res.writeHead(500, { ...this.extraHeaders, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
    this.res.end(body);
  }
}
