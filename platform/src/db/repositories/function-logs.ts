/**
 * Function logs repository: the `function_logs` rows. Batched multi-row inserts (the ingest's
 * write), pages by function with filters in id order (the logs API and live tail backlog), and
 * the deletes retention needs: by age, by a per-function byte cap (oldest first), and all of a
 * function's lines. Line ids order the log and are the API's cursors.
 */
import { and, asc, desc, eq, gt, gte, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../database.ts";
import { functionLogs } from "../schema.ts";
import type { FunctionLogRecord, FunctionLogStream } from "../../../../protocol/function-logs.ts";

/** A stored line: the record as the runner made it, with the id the database gave it. */
export interface StoredLogLine {
  id: number;
  functionName: string;
  version: number;
  requestId: string | null;
  instanceId: string;
  at: Date;
  stream: FunctionLogStream;
  message: string;
}

export interface LogLineFilter {
  functionName: string;
  requestId?: string;
  version?: number;
  /** At or after. */
  since?: Date;
  /** Strictly before. */
  until?: Date;
}

export interface LogPageQuery extends LogLineFilter {
  /** Only lines with a larger id (a cursor). */
  afterId?: number;
  limit: number;
  /** The newest `limit` lines instead of the oldest (still returned oldest first). */
  newest?: boolean;
}

export interface FunctionLogsRepository {
  /** Inserts the records in multi-row statements, in order; returns them with their ids. */
  insert(records: readonly FunctionLogRecord[]): Promise<StoredLogLine[]>;
  /** Matching lines in id order (oldest first). */
  page(q: LogPageQuery): Promise<StoredLogLine[]>;
  /** Deletes the function's lines written before `cutoff`, at most `batch` of them; returns how many. */
  deleteOlderThan(functionName: string, cutoff: Date, batch: number): Promise<number>;
  /** Deletes the function's oldest lines until the bytes of its messages (octets) are at most `maxBytes`; returns how many. */
  deleteBeyondBytes(functionName: string, maxBytes: number): Promise<number>;
  /** Deletes up to `batch` of the function's lines; returns how many (call until 0 to delete them all). */
  deleteFunction(functionName: string, batch: number): Promise<number>;
  /** Names of the functions that have lines, cheaply (a skip scan over the function_name index). */
  loggedFunctions(): Promise<string[]>;
  /** Total octets of the function's messages. */
  bytesOf(functionName: string): Promise<number>;
}

/** Rows per INSERT: 7 parameters a row stays well under Postgres' 65,535 parameter limit. */
const INSERT_CHUNK = 1000;

function toStored(row: typeof functionLogs.$inferSelect): StoredLogLine {
  return {
    id: row.id,
    functionName: row.functionName,
    version: row.version,
    requestId: row.requestId,
    instanceId: row.instanceId,
    at: row.at,
    stream: row.stream,
    message: row.message,
  };
}

function filterOf(q: LogLineFilter): SQL[] {
  const where: SQL[] = [eq(functionLogs.functionName, q.functionName)];
  if (q.requestId !== undefined) where.push(eq(functionLogs.requestId, q.requestId));
  if (q.version !== undefined) where.push(eq(functionLogs.version, q.version));
  if (q.since !== undefined) where.push(gte(functionLogs.at, q.since));
  if (q.until !== undefined) where.push(lt(functionLogs.at, q.until));
  return where;
}

/** Rows a statement reports as affected, from either driver (postgres.js: `count`; PGlite: `affectedRows`). */
function affected(result: unknown): number {
  const r = result as { count?: number; affectedRows?: number; length?: number };
  return Number(r.count ?? r.affectedRows ?? 0);
}

/** Rows a raw select returns, from either driver (postgres.js: an array; PGlite: `rows`). */
function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

export function createFunctionLogsRepository(db: Db): FunctionLogsRepository {
  return {
    async insert(records) {
      const out: StoredLogLine[] = [];
      for (let i = 0; i < records.length; i += INSERT_CHUNK) {
        const chunk = records.slice(i, i + INSERT_CHUNK);
        // One JSON parameter instead of seven a row: Postgres parses and plans a 7,000-parameter
        // INSERT far slower than it expands a recordset, and the rows come back as ids only.
        const json = JSON.stringify(chunk.map((r) => [r.functionName, r.version, r.requestId, r.instanceId, r.at, r.stream, r.message]));
        const result = await db.execute(sql`
          insert into function_logs (function_name, version, request_id, instance_id, at, stream, message)
          select r->>0, (r->>1)::int, r->>2, r->>3, to_timestamp((r->>4)::float8 / 1000), r->>5, r->>6
          from json_array_elements(${json}::json) with ordinality as t(r, n) order by n
          returning id`);
        // Ids follow the insert order (one sequence, rows inserted in `n` order); sort, as RETURNING promises no order.
        const ids = rowsOf<{ id: string | number }>(result).map((r) => Number(r.id)).sort((a, b) => a - b);
        chunk.forEach((r, k) =>
          out.push({ id: ids[k]!, functionName: r.functionName, version: r.version, requestId: r.requestId, instanceId: r.instanceId, at: new Date(r.at), stream: r.stream, message: r.message }),
        );
      }
      return out;
    },

    async page(q) {
      const where = filterOf(q);
      if (q.afterId !== undefined) where.push(gt(functionLogs.id, q.afterId));
      const rows = await db
        .select()
        .from(functionLogs)
        .where(and(...where))
        .orderBy(q.newest ? desc(functionLogs.id) : asc(functionLogs.id))
        .limit(q.limit);
      if (q.newest) rows.reverse();
      return rows.map(toStored);
    },

    async deleteOlderThan(functionName, cutoff, batch) {
      const result = await db.execute(sql`
        delete from function_logs where id in (
          select id from function_logs
          where function_name = ${functionName} and at < ${cutoff.toISOString()}::timestamptz
          order by id limit ${batch})`);
      return affected(result);
    },

    async deleteBeyondBytes(functionName, maxBytes) {
      // Newest first, a running total of message octets; everything at or below the newest line
      // that pushes the total over the cap goes.
      const result = await db.execute(sql`
        delete from function_logs
        where function_name = ${functionName} and id <= coalesce((
          select id from (
            select id, sum(octet_length(message)) over (order by id desc) as total
            from function_logs where function_name = ${functionName}
          ) t where total > ${maxBytes} order by id desc limit 1), 0)`);
      return affected(result);
    },

    async deleteFunction(functionName, batch) {
      const result = await db.execute(sql`
        delete from function_logs where id in (
          select id from function_logs where function_name = ${functionName} order by id limit ${batch})`);
      return affected(result);
    },

    async loggedFunctions() {
      const result = await db.execute(sql`
        with recursive names(name) as (
          (select function_name from function_logs order by function_name limit 1)
          union all
          select (select function_name from function_logs where function_name > names.name order by function_name limit 1)
          from names where names.name is not null
        )
        select name from names where name is not null`);
      return rowsOf<{ name: string }>(result).map((r) => r.name);
    },

    async bytesOf(functionName) {
      const result = await db.execute(sql`
        select coalesce(sum(octet_length(message)), 0)::bigint as bytes from function_logs where function_name = ${functionName}`);
      return Number(rowsOf<{ bytes: string | number }>(result)[0]?.bytes ?? 0);
    },
  };
}
