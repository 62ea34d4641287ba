/**
 * HotSwap's invoke path answering a streaming handler: a 200 with the handler's content type and
 * chunked transfer encoding, sent with its first bytes, each write passed on as it arrives. A
 * failure after the first bytes (a handler error, a timeout) cannot change the status any more:
 * the stream ends with the trailers `x-hotswap-function-error` (`Unhandled` for a handler error,
 * else the platform's code) and `x-hotswap-error-message`, declared up front in `Trailer`. What
 * is only known at the end travels as trailers too: `x-hotswap-cold-start` and, when asked for,
 * `x-hotswap-log-result`.
 */
import type { ServerResponse } from "node:http";
import { errorFields } from "../../../../protocol/error-document.ts";
import { HEADER_COLD_START, HEADER_FUNCTION_ERROR, HEADER_LOG_RESULT } from "../../../../protocol/headers.ts";
import type { InvokeOutcome, ResponseStreamSink } from "../../../../protocol/invoke.ts";

export const HEADER_ERROR_MESSAGE = "x-hotswap-error-message";
const TRAILERS = [HEADER_FUNCTION_ERROR, HEADER_ERROR_MESSAGE, HEADER_COLD_START, HEADER_LOG_RESULT].join(", ");

export class ChunkedAnswer implements ResponseStreamSink {
  private started = false;

  /** `headers()` gives the response's headers when the stream begins (the version is known by then). */
  constructor(
    private readonly res: ServerResponse,
    private readonly headers: () => Record<string, string>,
  ) {}

  /** Whether the 200 is out: the outcome can then only end the stream. */
  get begun(): boolean {
    return this.started;
  }

  begin(contentType: string): void {
    if (this.started) return;
    this.started = true;
    this.res.on("error", () => {}); // a client gone mid-stream: the invocation still runs to its end
    this.res.writeHead(200, { ...this.headers(), "content-type": contentType, trailer: TRAILERS });
    this.res.flushHeaders();
  }

  write(chunk: Buffer): void {
    if (!this.res.writableEnded) this.res.write(chunk);
  }

  /** End the stream; a failed invocation says so in the trailers. `logResult`: the log tail asked for. */
  end(outcome: InvokeOutcome, logResult?: string): void {
    if (this.res.destroyed) return;
    const trailers: Record<string, string> = {};
    if (outcome.kind === "function-error") {
      const f = errorFields(outcome.payload, "Unhandled");
      trailers[HEADER_FUNCTION_ERROR] = "Unhandled";
      trailers[HEADER_ERROR_MESSAGE] = headerSafe(`${f.errorType}: ${f.errorMessage}`);
    } else if (outcome.kind === "platform-error") {
      trailers[HEADER_FUNCTION_ERROR] = outcome.code;
      trailers[HEADER_ERROR_MESSAGE] = headerSafe(outcome.message);
    }
    if (outcome.coldStart !== undefined) trailers[HEADER_COLD_START] = String(outcome.coldStart);
    if (logResult !== undefined) trailers[HEADER_LOG_RESULT] = logResult;
    this.res.addTrailers(trailers);
    this.res.end();
  }
}

/** A message as a header value: one line of printable text, bounded. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, " ").slice(0, 1024);
}
