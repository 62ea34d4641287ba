/**
 * The front door's last line: an error that escapes an endpoint (a bug, never a user mistake) is
 * logged with the request id and answered as the generic 500, in the endpoint's error shape, so a
 * request can never throw out of the request listener and take the control plane down.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { HEADER_REQUEST_ID } from "../../../../protocol/headers.ts";
import { apiErrorOf, requestIdFrom, type ErrorLog } from "../envelope.ts";
import { writeError, writeLambdaError } from "./answers.ts";

export type ErrorShape = "hotswap" | "lambda";

/** Answers `e` as the generic 500 (or ends the response when headers are out); never throws. */
export function answerUnexpected(req: IncomingMessage, res: ServerResponse, e: unknown, log: ErrorLog, shape: ErrorShape): void {
  try {
    const requestId = requestIdFrom(req.headers[HEADER_REQUEST_ID]);
    const err = apiErrorOf(e, requestId, log, { method: req.method ?? "?", path: req.url ?? "?" });
    if (shape === "lambda") writeLambdaError(req, res, requestId, err);
    else writeError(req, res, requestId, err);
  } catch (again) {
    try {
      log.error({ err: again }, "could not answer an unexpected error");
    } catch {
      // the log itself failed: nothing more to tell
    }
    res.destroy();
  }
}

/** Runs an endpoint so neither a synchronous throw nor a rejection escapes the listener. */
export function guarded(req: IncomingMessage, res: ServerResponse, log: ErrorLog, shape: ErrorShape, serve: () => Promise<void>): void {
  try {
    serve().catch((e: unknown) => answerUnexpected(req, res, e, log, shape));
  } catch (e) {
    answerUnexpected(req, res, e, log, shape);
  }
}
