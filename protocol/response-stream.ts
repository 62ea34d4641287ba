/**
 * Lambda response streaming, as it crosses HotSwap: the content type of an HTTP integration
 * response (awslambda.HttpResponseStream.from: a JSON prelude `{statusCode, headers, cookies}`,
 * then 8 NUL bytes, then the body), the splitter that finds that prelude in a stream of chunks,
 * and the Runtime API's streaming-mode header and error trailers.
 */

export const HTTP_INTEGRATION_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response";
/** What a streamed response is when the handler set no content type. */
export const DEFAULT_STREAM_CONTENT_TYPE = "application/octet-stream";
/** Runtime API: the header a runtime sets on a `/response` it streams (value `streaming`). */
export const HEADER_RESPONSE_MODE = "lambda-runtime-function-response-mode";
/** Runtime API trailers of a streamed `/response` whose handler failed part-way (the body is base64 JSON). */
export const TRAILER_ERROR_TYPE = "lambda-runtime-function-error-type";
export const TRAILER_ERROR_BODY = "lambda-runtime-function-error-body";

/** Largest prelude accepted: it is status and headers, never the body. */
const MAX_PRELUDE_BYTES = 64 * 1024;
const DELIMITER_BYTES = 8;

export type PreludeStep =
  /** More bytes are needed before the prelude ends. */
  | { kind: "pending" }
  /** The prelude (parsed JSON) and the body bytes that followed it in the same chunks. */
  | { kind: "prelude"; prelude: unknown; rest: Buffer }
  /** Not a valid prelude: why. */
  | { kind: "invalid"; reason: string };

/**
 * Finds the prelude of an HTTP integration response at the start of a stream of chunks: feed each
 * chunk until it answers `prelude` (or `invalid`); the body is everything after the 8 NUL bytes.
 */
export class PreludeSplitter {
  private held: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): PreludeStep {
    const from = Math.max(0, this.held.length - (DELIMITER_BYTES - 1));
    this.held = this.held.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.held, chunk]);
    const at = findDelimiter(this.held, from);
    if (at === -1) {
      if (this.held.length > MAX_PRELUDE_BYTES + DELIMITER_BYTES) return { kind: "invalid", reason: `no prelude end (8 NUL bytes) within the first ${MAX_PRELUDE_BYTES} bytes` };
      return { kind: "pending" };
    }
    let prelude: unknown;
    try {
      const text = this.held.toString("utf8", 0, at).trim();
      prelude = text === "" ? {} : JSON.parse(text);
    } catch {
      return { kind: "invalid", reason: "the prelude is not JSON" };
    }
    const rest = this.held.subarray(at + DELIMITER_BYTES);
    this.held = Buffer.alloc(0);
    return { kind: "prelude", prelude, rest };
  }
}

/** Index of the first run of 8 NUL bytes at or after `from`, or -1. */
function findDelimiter(buf: Buffer, from: number): number {
  let run = 0;
  for (let i = from; i < buf.length; i++) {
    if (buf[i] === 0) {
      if (++run === DELIMITER_BYTES) return i - DELIMITER_BYTES + 1;
    } else run = 0;
  }
  return -1;
}
