/**
 * /api/v1/functions/{name}/logs: a page of a function's log lines, and a live tail (`follow`) as an
 * async iterator over the Server-Sent Events, which resumes from the last event it saw when asked
 * to (`lastEventId`). Stopping the iteration (break, return) closes the connection.
 */
import type { FunctionLogLine, LogTailEnd } from "../protocol/api/logs.ts";
import type { ApiFailure } from "./result.ts";
import { EventStreamRefused, readEventStream } from "./sse.ts";
import type { CallOptions, ClientOptions, Transport } from "./transport.ts";

/** What `follow` throws when the API refuses the tail (404, 400, 403): the API's failure, in `failure`. */
export class LogTailRefused extends EventStreamRefused {
  constructor(message: string, failure: ApiFailure) {
    super(message, failure);
    this.name = "LogTailRefused";
  }
}

/** Filters and paging of a logs query. Times: a Date, epoch milliseconds, or ISO-8601 text. */
export interface FunctionLogsQueryInput {
  requestId?: string;
  version?: number;
  since?: Date | number | string;
  until?: Date | number | string;
  /** Lines per page (1–1000). @default 100 */
  limit?: number;
  /** A page's nextCursor (or a live-tail event id): continue after it. */
  cursor?: string;
}

/** What a live tail yields: a line with its event id (a cursor), or the server's final event. */
export type LogTailEvent = { type: "log"; id: string; line: FunctionLogLine } | { type: "end"; end: LogTailEnd };

export interface FollowOptions {
  /** Resume after this event id (sent as Last-Event-ID). */
  lastEventId?: string;
  /** Ends the tail (the iterator returns). */
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

function queryOf(q: FunctionLogsQueryInput): Record<string, string | number | undefined> {
  const time = (t: Date | number | string | undefined) => (t instanceof Date ? t.toISOString() : t);
  return { requestId: q.requestId, version: q.version, since: time(q.since), until: time(q.until), limit: q.limit, cursor: q.cursor };
}

export function logsEndpoints(t: Transport, options: Pick<ClientOptions, "apiKey" | "token" | "fetch" | "headers">) {
  const path = (name: string) => `/api/v1/functions/${encodeURIComponent(name)}/logs`;
  return {
    /** GET /api/v1/functions/{name}/logs: lines oldest first and `nextCursor` (null when no more match now). FunctionNotFound (404), ValidationError (400). */
    functionLogs: (name: string, query: FunctionLogsQueryInput = {}, opts?: CallOptions) =>
      t.request({ method: "GET", path: path(name), query: queryOf(query) }, "FunctionLogPage", opts),

    /**
     * GET /api/v1/functions/{name}/logs?follow=true: the newest `limit` matching lines (or, with a
     * cursor or lastEventId, those after it), then live lines as they are stored. Throws an Error
     * with the API's code and message when the tail is refused (404, 400, 403).
     */
    async *follow(name: string, query: FunctionLogsQueryInput = {}, opts: FollowOptions = {}): AsyncGenerator<LogTailEvent, void, undefined> {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...queryOf(query), follow: "true" })) if (v !== undefined) params.set(k, String(v));
      const headers: Record<string, string> = { ...options.headers, ...opts.headers };
      const bearer = options.apiKey ?? options.token;
      if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
      if (opts.lastEventId !== undefined) headers["last-event-id"] = opts.lastEventId;
      const events = readEventStream({
        url: `${t.baseUrl}${path(name)}?${params}`,
        headers,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
        what: `following the logs of "${name}"`,
        refused: LogTailRefused,
      });
      for await (const e of events) {
        if (e.type === "log") yield { type: "log", id: e.id, line: JSON.parse(e.data) as FunctionLogLine };
        else if (e.type === "end") yield { type: "end", end: JSON.parse(e.data) as LogTailEnd };
      }
    },
  };
}
