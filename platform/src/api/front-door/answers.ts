/**
 * Writing the front door's answers on node:http: a finished response in one write, and an error
 * (HotSwap's or Lambda's document, from the API's envelope) that closes the connection when the
 * request body was never read, rather than draining it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApiError } from "../../../../protocol/errors.ts";
import { HEADER_REQUEST_ID } from "../../../../protocol/headers.ts";
import { errorBody, lambdaError } from "../envelope.ts";

/** Status, headers and bytes in one write. */
export function writeAnswer(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | string | undefined): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  headers["content-length"] = String(bytes.length);
  res.writeHead(status, headers);
  // As a latin1 string (one char per byte, so the bytes are exactly the function's) node:http
  // joins it to the status line and headers: one chunk to write instead of two.
  res.end(bytes.toString("latin1"), "latin1");
}

/** HotSwap's error answer: `{ "error": { "code", "message" } }` with the request id, and any headers already decided. */
export function writeError(req: IncomingMessage, res: ServerResponse, requestId: string, err: ApiError, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  closeIfUnread(req, res);
  writeAnswer(res, err.status, { ...headers, ...err.headers, "content-type": "application/json", [HEADER_REQUEST_ID]: requestId }, errorBody(err));
}

/** Lambda's error answer: `{ Type, message, code }` with x-amzn-ErrorType, the request id, and any headers already decided. */
export function writeLambdaError(req: IncomingMessage, res: ServerResponse, requestId: string, err: ApiError, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  closeIfUnread(req, res);
  const l = lambdaError(err);
  writeAnswer(res, l.status, { ...headers, ...err.headers, [HEADER_REQUEST_ID]: requestId, "content-type": "application/json", "x-amzn-errortype": l.type }, l.body);
}

function closeIfUnread(req: IncomingMessage, res: ServerResponse): void {
  // The body may be unread (auth failed first, or it was too large): close rather than drain it.
  if (!req.readableEnded) res.shouldKeepAlive = false;
}
