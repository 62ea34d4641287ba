/**
 * From stored rows to the lines the logs API shows: a row is one line, or a pack of one
 * invocation's lines (protocol/function-log-rows.ts) that expands into several, each with its own
 * position (the row id, and its index in a pack) for cursors and SSE event ids. Filters on time
 * apply per line: the database filters rows, widened by the longest a pack spans.
 */
import type { FunctionLogLine, LogPosition } from "../../../protocol/api/logs.ts";
import { logCursor } from "../../../protocol/api/logs.ts";
import type { FunctionLogStream } from "../../../protocol/function-logs.ts";
import { LOG_PACK_SPAN_MS, LOG_PACK_STREAM, linesOfRow } from "../../../protocol/function-log-rows.ts";
import type { LogLineFilter, StoredLogRow } from "../db/index.ts";
import type { LiveRow } from "./live-rows.ts";

/** A line of a stored row, with its position in the function's log. */
export interface LogLine {
  position: LogPosition;
  functionName: string;
  version: number;
  requestId: string | null;
  instanceId: string;
  /** Epoch ms. */
  at: number;
  stream: FunctionLogStream;
  message: string;
}

/** The lines of a row, in order. */
export function linesOf(row: StoredLogRow | LiveRow): LogLine[] {
  const at = typeof row.at === "number" ? row.at : row.at.getTime();
  const { id, functionName, version, requestId, instanceId } = row;
  const pack = row.stream === LOG_PACK_STREAM;
  return linesOfRow({ at, stream: row.stream, message: row.message }).map((l, k) => ({
    position: pack ? { id, line: k } : { id },
    functionName,
    version,
    requestId,
    instanceId,
    at: l.at,
    stream: l.stream,
    message: l.message,
  }));
}

/** The cursor (and SSE event id) just after this line. */
export function cursorOf(l: LogLine): string {
  return logCursor(l.position.id, l.position.line);
}

/** Whether line position `p` comes after position `after`. */
export function isAfter(p: LogPosition, after: LogPosition): boolean {
  if (p.id !== after.id) return p.id > after.id;
  return after.line !== undefined && p.line !== undefined && p.line > after.line;
}

/** The row id to page after so that the rows read include every line after `after`. */
export function rowsAfter(after: LogPosition): number {
  return after.line === undefined ? after.id : after.id - 1;
}

/** The row filter that finds every line the line filter matches: `since` widened by the longest a pack spans. */
export function rowFilter(f: LogLineFilter): LogLineFilter {
  return f.since === undefined ? f : { ...f, since: new Date(f.since.getTime() - LOG_PACK_SPAN_MS) };
}

/** Whether a line passes the filter (function, request id, version, since inclusive, until exclusive). */
export function lineMatches(f: LogLineFilter, l: LogLine): boolean {
  return (
    l.functionName === f.functionName &&
    (f.requestId === undefined || l.requestId === f.requestId) &&
    (f.version === undefined || l.version === f.version) &&
    (f.since === undefined || l.at >= f.since.getTime()) &&
    (f.until === undefined || l.at < f.until.getTime())
  );
}

/** A line as the API answers it. */
export function toLogLine(l: LogLine): FunctionLogLine {
  return {
    at: new Date(l.at).toISOString(),
    functionName: l.functionName,
    version: l.version,
    requestId: l.requestId,
    instanceId: l.instanceId,
    stream: l.stream,
    message: l.message,
  };
}
