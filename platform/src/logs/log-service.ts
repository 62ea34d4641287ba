/**
 * What the logs API does: a page of a function's lines (filters, id cursor, limit) and a live tail
 * (the backlog then live lines) over the hub. The function must exist (FunctionNotFound otherwise);
 * the wording of user mistakes the schema cannot catch lives here.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { DEFAULT_LOG_PAGE, logCursor, logCursorId, type FunctionLogPage, type FunctionLogsQuery } from "../../../protocol/api/logs.ts";
import type { FunctionLogsRepository, LogLineFilter } from "../db/index.ts";
import type { LiveTail } from "./live-tail.ts";
import type { LogFollower } from "./log-follower.ts";
import { toLogLine } from "./live-lines.ts";

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
    const rows = await this.logs.page({ ...filter, afterId: q.cursor, limit: limit + 1 });
    const more = rows.length > limit;
    if (more) rows.length = limit;
    return { lines: rows.map(toLogLine), nextCursor: more ? logCursor(rows[rows.length - 1]!.id) : null };
  }

  /**
   * A live tail. Without a cursor it starts with the newest `limit` matching lines (at or after
   * `since`); with one (the query's, or the Last-Event-ID header's, which wins) it resumes after it.
   */
  async follow(name: string, q: FunctionLogsQuery, lastEventId: string | undefined, disconnect: () => void): Promise<LogFollower> {
    if (q.until !== undefined) {
      throw new ApiError("ValidationError", 'query field "until": cannot be combined with follow=true (a live tail has no end); leave out until, or page without follow.');
    }
    let afterId = q.cursor;
    if (lastEventId !== undefined && lastEventId !== "") {
      afterId = logCursorId(lastEventId);
      if (afterId === undefined) throw new ApiError("ValidationError", "header Last-Event-ID: is not an event id of this API's live tail; reconnect without it, or pass the id of the last event received.");
    }
    const filter = filterOf(name, q);
    await this.requireFunction(name);
    const first = q.limit ?? DEFAULT_LOG_PAGE;
    const resumed = afterId !== undefined;
    let started = false;
    return this.live.follow({
      filter,
      afterId,
      disconnect,
      backlog: async (after) => {
        if (!started && !resumed) {
          started = true;
          return this.logs.page({ ...filter, limit: first, newest: true });
        }
        started = true;
        // After the newest page (or an empty one), only lines that arrived since: never the older ones.
        return this.logs.page({ ...filter, afterId: after ?? (await this.newestId(filter)), limit: FOLLOW_PAGE });
      },
    });
  }

  private async newestId(filter: LogLineFilter): Promise<number> {
    const [last] = await this.logs.page({ ...filter, limit: 1, newest: true });
    return last?.id ?? 0;
  }
}

function filterOf(name: string, q: FunctionLogsQuery): LogLineFilter {
  if (q.since !== undefined && q.until !== undefined && q.until.getTime() <= q.since.getTime()) {
    throw new ApiError("ValidationError", `query field "until": must be later than since (${q.since.toISOString()}); got ${q.until.toISOString()}.`);
  }
  return { functionName: name, requestId: q.requestId, version: q.version, since: q.since, until: q.until };
}
