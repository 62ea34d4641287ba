/**
 * Lambda response streaming on the instance side, as AWS's Node.js runtime offers it: the global
 * `awslambda` with `streamifyResponse(handler)` (marks a handler as streaming) and
 * `HttpResponseStream.from(stream, {statusCode, headers, cookies})` (an HTTP integration response:
 * a JSON prelude and 8 NUL bytes before the body, content type
 * application/vnd.awslambda.http-integration-response). A streaming handler is called as
 * `handler(event, responseStream, context)`; each write leaves for the runner at once through a
 * transport (the fast channel's `chunk` frames, or a chunked Runtime API `/response`).
 */
import { Writable } from "node:stream";

/** The mark AWS's runtime puts on a streamified handler (same registered symbol). */
const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
const HIGH_WATER_MARK = Symbol.for("aws.lambda.runtime.handler.highWaterMark");
const STREAM_RESPONSE = "response";
export const HTTP_INTEGRATION_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response";
const DEFAULT_CONTENT_TYPE = "application/octet-stream";
const DELIMITER = new Uint8Array(8);

/** Whether `handler` was wrapped by awslambda.streamifyResponse. */
export function isStreamingHandler(handler) {
  return handler?.[STREAMING] === STREAM_RESPONSE;
}

class HttpResponseStream {
  /** Make `stream` an HTTP integration response whose status and headers are `prelude`. */
  static from(stream, prelude) {
    stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    // JSON text never holds a NUL byte, so the 8 NULs unambiguously end the prelude.
    const text = JSON.stringify(prelude ?? {});
    stream._onBeforeFirstWrite = (write) => {
      write(Buffer.from(text));
      write(DELIMITER);
    };
    return stream;
  }
}

/** Define the global `awslambda` before any function code loads (its modules call it at import). */
export function installAwsLambdaGlobal() {
  if (globalThis.awslambda !== undefined) return;
  Object.defineProperty(globalThis, "awslambda", {
    value: Object.freeze({
      streamifyResponse(handler, options) {
        if (typeof handler !== "function") throw new TypeError("awslambda.streamifyResponse expects a handler function");
        handler[STREAMING] = STREAM_RESPONSE;
        if (options?.highWaterMark !== undefined) handler[HIGH_WATER_MARK] = options.highWaterMark;
        return handler;
      },
      HttpResponseStream,
    }),
    writable: false,
    enumerable: false,
    configurable: false,
  });
}

/**
 * The `responseStream` a streaming handler writes to. `transport.begin(contentType)` is called once,
 * before the first bytes (or at the end when nothing was written); `transport.write(buf)` for each
 * write. `onEnd(err)` once the stream finished (err undefined) or was destroyed with an error.
 */
export class ResponseStream extends Writable {
  #transport;
  #contentType = DEFAULT_CONTENT_TYPE;
  #begun = false;

  constructor(transport, highWaterMark) {
    super({ highWaterMark, decodeStrings: true });
    this.#transport = transport;
    /** Set by HttpResponseStream.from: writes the prelude before the first bytes. */
    this._onBeforeFirstWrite = undefined;
  }

  setContentType(contentType) {
    if (this.#begun) throw new Error("setContentType must be called before the first write");
    this.#contentType = String(contentType);
  }

  /** Start the response (once): the content type, then the HTTP prelude when there is one. */
  begin() {
    if (this.#begun) return;
    this.#begun = true;
    this.#transport.begin(this.#contentType);
    const before = this._onBeforeFirstWrite;
    this._onBeforeFirstWrite = undefined;
    if (typeof before === "function") before((b) => this.#transport.write(Buffer.from(b)));
  }

  _write(chunk, _encoding, callback) {
    this.begin();
    if (chunk.length > 0) this.#transport.write(chunk);
    callback();
  }

  _final(callback) {
    this.begin();
    callback();
  }
}

/**
 * Run a streaming handler: `done(isError, value)` exactly once, when the response stream has ended
 * (success) or the handler failed (its error, whatever it wrote staying written). A handler whose
 * promise resolves before it ends the stream has its stream ended for it.
 */
export function runStreamingHandler(handler, event, context, transport, done) {
  const stream = new ResponseStream(transport, handler[HIGH_WATER_MARK]);
  let settled = false;
  const finish = (isError, value) => {
    if (settled) return;
    settled = true;
    stream.begin(); // an empty response is still a (streamed) response
    done(isError, value);
  };
  stream.on("finish", () => finish(false, undefined));
  stream.on("error", (err) => finish(true, err));
  let ret;
  try {
    ret = handler(event, stream, context);
  } catch (err) {
    finish(true, err);
    return;
  }
  if (ret !== null && typeof ret?.then === "function") {
    ret.then(
      () => {
        if (!stream.writableEnded) stream.end();
      },
      (err) => finish(true, err ?? new Error(String(err))),
    );
  }
}
