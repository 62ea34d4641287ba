/**
 * Wire schemas of GET /api/v1/functions/{name}/logs: the query (filters, page size, cursor,
 * follow), a stored log line as the API shows it, a page of lines, and the events of a live tail
 * (`follow=true`, Server-Sent Events). Cursors are opaque to callers: they name a position in the
 * function's log (after a line), never a time.
 */
import { z } from "@hono/zod-openapi";
import { FunctionLogStream } from "../function-logs.ts";
import { MAX_VERSION_NUMBER } from "./versions.ts";

export const DEFAULT_LOG_PAGE = 100;
export const MAX_LOG_PAGE = 1000;

const TIME_FORMAT = "must be an ISO-8601 time (2026-01-31T12:00:00Z) or epoch milliseconds";

/** `since` / `until`: ISO-8601 or epoch milliseconds, as a Date. */
const LogTime = z
  .string()
  .transform((v, ctx) => {
    const t = /^[0-9]{1,15}$/.test(v) ? Number(v) : /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
    if (!Number.isFinite(t)) {
      ctx.addIssue({ code: "custom", message: `${TIME_FORMAT}; got "${v.slice(0, 40)}"` });
      return z.NEVER;
    }
    return new Date(t);
  })
  .openapi({ type: "string", example: "2026-01-31T12:00:00Z" });

const CURSOR = /^c([0-9]{1,18})(?:\.([0-9]{1,6}))?$/;

/**
 * A position in a function's log: after the row `id`, or after line `line` (0-based) of that row
 * when it holds several lines (a pack, see protocol/function-log-rows.ts).
 */
export interface LogPosition {
  id: number;
  line?: number;
}

/** The cursor of the position just after this line. */
export function logCursor(id: number, line?: number): string {
  return Buffer.from(line === undefined ? `c${id}` : `c${id}.${line}`).toString("base64url");
}

/** The position a cursor names, or undefined when it is not a cursor this API gave out. */
export function logCursorPosition(cursor: string): LogPosition | undefined {
  const text = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("latin1") : "";
  const m = CURSOR.exec(text);
  if (!m) return undefined;
  return m[2] === undefined ? { id: Number(m[1]) } : { id: Number(m[1]), line: Number(m[2]) };
}

const LogCursor = z
  .string()
  .transform((v, ctx) => {
    const position = logCursorPosition(v);
    if (position === undefined) {
      ctx.addIssue({ code: "custom", message: "is not a cursor this API gave out; pass a nextCursor (or an SSE event id) unchanged" });
      return z.NEVER;
    }
    return position;
  })
  .openapi({ type: "string", description: "Opaque: a nextCursor, or the id of a live-tail event" });

const LIMIT_RANGE = `must be a whole number from 1 to ${MAX_LOG_PAGE}`;
const VERSION_RANGE = `must be a version number from 1 to ${MAX_VERSION_NUMBER}`;

export const FunctionLogsQuery = z.object({
  requestId: z.string().min(1).max(128).optional().openapi({ description: "Only the lines of this invocation" }),
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/, VERSION_RANGE)
    .transform(Number)
    .pipe(z.number().max(MAX_VERSION_NUMBER, VERSION_RANGE))
    .optional()
    .openapi({ type: "string", description: "Only lines of this version" }),
  since: LogTime.optional().openapi({ description: "Lines written at or after this time (ISO-8601 or epoch ms)" }),
  until: LogTime.optional().openapi({ description: "Lines written before this time (ISO-8601 or epoch ms)" }),
  limit: z
    .string()
    .regex(/^[0-9]{1,4}$/, LIMIT_RANGE)
    .transform(Number)
    .pipe(z.number().min(1, LIMIT_RANGE).max(MAX_LOG_PAGE, LIMIT_RANGE))
    .optional()
    .openapi({ type: "string", description: `Lines per page, default ${DEFAULT_LOG_PAGE}, at most ${MAX_LOG_PAGE}` }),
  cursor: LogCursor.optional(),
  follow: z
    .enum(["true", "false"], { message: 'must be "true" or "false"' })
    .optional()
    .openapi({ description: "true: answer text/event-stream, the backlog then live lines (Last-Event-ID resumes)" }),
});
export type FunctionLogsQuery = z.infer<typeof FunctionLogsQuery>;

export const FunctionLogLine = z
  .object({
    /** When the runner read the line (ISO-8601). */
    at: z.string(),
    functionName: z.string(),
    version: z.number(),
    /** Null for lines written outside an invocation (init, stray timers). */
    requestId: z.string().nullable(),
    instanceId: z.string(),
    stream: FunctionLogStream,
    message: z.string(),
  })
  .openapi("FunctionLogLine");
export type FunctionLogLine = z.infer<typeof FunctionLogLine>;

export const FunctionLogPage = z
  .object({
    /** Oldest first. */
    lines: z.array(FunctionLogLine),
    /** Pass as `cursor` for the next page; null when no more lines match now. */
    nextCursor: z.string().nullable(),
  })
  .openapi("FunctionLogPage");
export type FunctionLogPage = z.infer<typeof FunctionLogPage>;

/** SSE event names of a live tail. `log` carries a FunctionLogLine; `end` the reason the server ended the stream. */
export const LOG_EVENT = "log";
export const LOG_END_EVENT = "end";

export const LogTailEnd = z.object({
  reason: z.enum(["shutdown", "slow-client"]),
  message: z.string(),
});
export type LogTailEnd = z.infer<typeof LogTailEnd>;
