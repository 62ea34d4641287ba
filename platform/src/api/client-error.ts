/**
 * Requests Node's HTTP parser refuses before any handler sees them (headers past 16 KiB, a
 * malformed request line): answered in the API's JSON error shape with a stable code, instead of
 * Node's bare status line, then the connection is closed. Used by every listener (API port and
 * the Http trigger gateway).
 */
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { ApiError } from "../../../protocol/errors.ts";
import { errorBody } from "./envelope.ts";

function errorFor(code: string | undefined): ApiError {
  if (code === "HPE_HEADER_OVERFLOW") {
    return new ApiError("RequestHeaderFieldsTooLarge", "The request line and headers exceed 16 KiB: send long values (cursors, events) in the body or shorten them.");
  }
  return new ApiError("ValidationError", "The request is not valid HTTP/1.1: check the request line and the headers.");
}

/** Answer parser errors on `server` as JSON (431 or 400) and close the connection. */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A reset socket cannot take an answer; a client too slow to send its headers gets none.
    if (err.code === "ECONNRESET" || err.code === "ERR_HTTP_REQUEST_TIMEOUT" || !socket.writable) {
      socket.destroy();
      return;
    }
    const e = errorFor(err.code);
    const body = errorBody(e);
    const reason = e.status === 431 ? "Request Header Fields Too Large" : "Bad Request";
    socket.end(`HTTP/1.1 ${e.status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
