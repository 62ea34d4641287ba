/**
 * What the logs API does: a page of a function's lines (filters, cursor, limit) and a live tail
 * (the backlog then live lines) over the hub. Rows are read from the database and expanded into
 * lines (log-lines.ts). The function must exist (FunctionNotFound otherwise); the wording of user
 * mistakes the schema cannot catch lives here.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { DEFAULT_LOG_PAGE, logCursorPosition, type FunctionLogPage, type FunctionLogsQuery, type LogPosition } from "../../../protocol/api/logs.ts";
import type { FunctionLogsRepository, LogLineFilter } from "../db/index.ts";
import type { LiveTail } from "./live-tail.ts";
import type { LogFollower } from "./log-follower.ts";
import { cursorOf, isAfter, lineMatches, linesOf, rowFilter, rowsAfter, toLogLine, type LogLine } from "./log-lines.ts";

/** Lines per backlog page of a live tail after its first. */
const FOLLOW_PAGE = 500;

export class LogService {
  constructor(
    private readonly logs: FunctionLogsRepository,
    /** Throws FunctionNotFound when the function does not exist. */
    private readonly requireFunction: (name: string) => Promise<unknown>,
    private readonly live: LiveTail,
  ) {}

  /** GET /api/v1/functions/{name}/logs: oldest first, `nextCursor` when more lines match now. */
  async page(name: string, q: FunctionLogsQuery): Promise<FunctionLogPage> {
    const filter = filterOf(name, q);
    await this.requireFunction(name);
    const limit = q.limit ?? DEFAULT_LOG_PAGE;
    const lines = await this.linesAfter(filter, q.cursor, limit + 1);
    const more = lines.length > limit;
    if (more) lines.length = limit;
    return { lines: lines.map(toLogLine), nextCursor: more ? cursorOf(lines[lines.length - 1]!) : null };
  }

  /**
   * A live tail. Without a cursor it starts with the newest `limit` matching lines (at or after
   * `since`); with one (the query's, or the Last-Event-ID header's, which wins) it resumes after it.
   */
  async follow(name: string, q: FunctionLogsQuery, lastEventId: string | undefined, disconnect: () => void): Promise<LogFollower> {
    if (q.until !== undefined) {
      throw new ApiError("ValidationError", 'query field "until": cannot be combined with follow=true (a live tail has no end); leave out until, or page without follow.');
    }
    let after = q.cursor;
    if (lastEventId !== undefined && lastEventId !== "") {
      after = logCursorPosition(lastEventId);
      if (after === undefined) throw new ApiError("ValidationError", "header Last-Event-ID: is not an event id of this API's live tail; reconnect without it, or pass the id of the last event received.");
    }
    const filter = filterOf(name, q);
    await this.requireFunction(name);
    const first = q.limit ?? DEFAULT_LOG_PAGE;
    const resumed = after !== undefined;
    let started = false;
    return this.live.follow({
      filter,
      after,
      disconnect,
      backlog: async (from) => {
        if (!started && !resumed) {
          started = true;
          return this.newest(filter, first);
        }
        started = true;
        // After the newest page (or an empty one), only lines that arrived since: never the older ones.
        return this.linesAfter(filter, from ?? (await this.newestRow(filter)), FOLLOW_PAGE);
      },
    });
  }

  /** Up to `want` matching lines after `after` (from the start when undefined), oldest first. */
  private async linesAfter(filter: LogLineFilter, after: LogPosition | undefined, want: number): Promise<LogLine[]> {
    const rows = rowFilter(filter);
    const out: LogLine[] = [];
    let afterId = after === undefined ? undefined : rowsAfter(after);
    for (;;) {
      // Every row holds at least one line, so `want` rows is enough unless filters drop lines of packs.
      const limit = want - out.length;
      const page = await this.logs.page({ ...rows, afterId, limit });
      for (const row of page) {
        for (const l of linesOf(row)) if ((after === undefined || isAfter(l.position, after)) && lineMatches(filter, l)) out.push(l);
      }
      if (page.length < limit || out.length >= want) return out.slice(0, want);
      afterId = page[page.length - 1]!.id;
    }
  }

  /** The newest `want` matching lines, oldest first. */
  private async newest(filter: LogLineFilter, want: number): Promise<LogLine[]> {
    const page = await this.logs.page({ ...rowFilter(filter), limit: want, newest: true });
    return page.flatMap((row) => linesOf(row).filter((l) => lineMatches(filter, l))).slice(-want);
  }

  /** The position after the newest matching row (the start of a log with none). */
  private async newestRow(filter: LogLineFilter): Promise<LogPosition> {
    const [last] = await this.logs.page({ ...rowFilter(filter), limit: 1, newest: true });
    return { id: last?.id ?? 0 };
  }
}

function filterOf(name: string, q: FunctionLogsQuery): LogLineFilter {
  if (q.since !== undefined && q.until !== undefined && q.until.getTime() <= q.since.getTime()) {
    throw new ApiError("ValidationError", `query field "until": must be later than since (${q.since.toISOString()}); got ${q.until.toISOString()}.`);
  }
  return { functionName: name, requestId: q.requestId, version: q.version, since: q.since, until: q.until };
}
