/**
 * Function logs repository: the `function_logs` rows, each one line or a pack of one invocation's
 * lines (protocol/function-log-rows.ts; filters here apply to rows, the log service expands packs).
 * Batched multi-row inserts (the ingest's write, and the check for rows a redelivered batch
 * already stored), pages by function with filters in id order (the logs API and live tail backlog), and
 * the deletes retention needs: by age, by a per-function byte cap (oldest first), and all of a
 * function's lines. Line ids order the log and are the API's cursors.
 */
import { and, asc, desc, eq, gt, gte, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../database.ts";
import { functionLogs } from "../schema.ts";
import type { FunctionLogRow, StoredLogStream } from "../../../../protocol/function-log-rows.ts";
import { affected, rowsOf } from "../raw-rows.ts";

/** A stored row: as the runner shipped it, with the id the database gave it. */
export interface StoredLogRow {
  id: number;
  functionName: string;
  version: number;
  requestId: string | null;
  instanceId: string;
  at: Date;
  stream: StoredLogStream;
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
  /** Inserts the rows in multi-row statements, in order; returns them with their ids. */
  insert(rows: readonly FunctionLogRow[]): Promise<StoredLogRow[]>;
  /** Which of the rows (their indexes) are stored already, identical in every field but the id: a redelivered batch's. */
  existing(rows: readonly FunctionLogRow[]): Promise<Set<number>>;
  /** Matching rows in id order (oldest first). */
  page(q: LogPageQuery): Promise<StoredLogRow[]>;
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

/** Ids the embedded database reserves from the sequence at a time. */
const ID_RANGE = 10_000;

/** Rows per INSERT: 7 parameters a row stays well under Postgres' 65,535 parameter limit. */
const INSERT_CHUNK = 1000;

function toStored(row: typeof functionLogs.$inferSelect): StoredLogRow {
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

/** The rows as one JSON parameter: one instead of seven a row (Postgres parses and plans a 7,000-parameter statement far slower than it expands a recordset). */
function rowsJson(rows: readonly FunctionLogRow[]): string {
  return JSON.stringify(rows.map((r) => [r.functionName, r.version, r.requestId, r.instanceId, r.at, r.stream, r.message]));
}

/** The ids of an `array_agg(id)::text` ("{1,2,3}"), ascending. */
function idList(text: string | undefined): number[] {
  if (!text || text.length <= 2) return [];
  return text.slice(1, -1).split(",").map(Number).sort((a, b) => a - b);
}

/** The rows as COPY text: tab-separated columns (id first), `\N` for null, backslash escapes. */
function copyText(rows: readonly FunctionLogRow[], ids: readonly number[]): string {
  const esc = (t: string) => (/[\\\t\n\r]/.test(t) ? t.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : t);
  let text = "";
  rows.forEach((r, k) => {
    text += `${ids[k]}\t${esc(r.functionName)}\t${r.version}\t${r.requestId === null ? "\\N" : esc(r.requestId)}\t${esc(r.instanceId)}\t${new Date(r.at).toISOString()}\t${r.stream}\t${esc(r.message)}\n`;
  });
  return text;
}

const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** The embedded database's client when `db` runs on PGlite (it takes COPY input as a Blob), else undefined. */
function pgliteOf(db: Db): PgliteCopy | undefined {
  const client = (db as unknown as { $client?: Partial<PgliteCopy> & { dumpDataDir?: unknown } }).$client;
  return client && typeof client.query === "function" && typeof client.dumpDataDir === "function" ? (client as PgliteCopy) : undefined;
}

interface PgliteCopy {
  query(text: string, params: unknown[], opts: { blob: Blob }): Promise<unknown>;
}

export function createFunctionLogsRepository(db: Db): FunctionLogsRepository {
  const pglite = pgliteOf(db);

  /**
   * PGlite: ids come from ranges of ID_RANGE reserved from the sequence in one statement (nextval,
   * then setval to the range's end; safe because the embedded database has one connection), so a
   * batch usually costs no sequence call at all; the rows then go in one COPY with those ids (in the
   * embedded database's WebAssembly, COPY costs about half of expanding a JSON recordset). Batches
   * run one after the other, so ids increase in commit order (a live tail's cursor never passes a
   * row committed later). Ids left in a range at shutdown are skipped: ids have gaps, never repeats.
   */
  let rangeNext = 0;
  let rangeEnd = -1;
  let copying: Promise<unknown> = Promise.resolve();
  async function idsFor(count: number): Promise<number[]> {
    if (rangeEnd - rangeNext + 1 < count) {
      const take = Math.max(count, ID_RANGE);
      const reserved = await db.execute(sql`select setval('function_logs_id_seq', nextval('function_logs_id_seq') + ${take - 1})::text as last`);
      rangeEnd = Number(rowsOf<{ last: string }>(reserved)[0]!.last);
      rangeNext = rangeEnd - take + 1;
    }
    const first = rangeNext;
    rangeNext += count;
    return Array.from({ length: count }, (_, k) => first + k);
  }
  function copyRows(client: PgliteCopy, rows: readonly FunctionLogRow[]): Promise<number[]> {
    const run = async () => {
      const ids = await idsFor(rows.length);
      await client.query(
        "copy function_logs (id, function_name, version, request_id, instance_id, at, stream, message) from '/dev/blob'",
        [],
        { blob: new Blob([copyText(rows, ids)]) },
      );
      return ids;
    };
    const p = copying.then(run, run);
    copying = p.catch(() => undefined);
    return p;
  }

  /** Postgres: one INSERT from a JSON recordset; the ids come back as one array, not a result row each. */
  async function insertRows(rows: readonly FunctionLogRow[]): Promise<number[]> {
    const result = await db.execute(sql`
      with inserted as (
        insert into function_logs (function_name, version, request_id, instance_id, at, stream, message)
        select r->>0, (r->>1)::int, r->>2, r->>3, to_timestamp((r->>4)::float8 / 1000), r->>5, r->>6
        from json_array_elements(${rowsJson(rows)}::json) with ordinality as t(r, n) order by n
        returning id)
      select array_agg(id)::text as ids from inserted`);
    // Ids follow the insert order (one sequence, rows inserted in `n` order).
    return idList(rowsOf<{ ids: string | null }>(result)[0]?.ids ?? undefined);
  }

  return {
    async insert(records) {
      const out: StoredLogRow[] = [];
      for (let i = 0; i < records.length; i += INSERT_CHUNK) {
        const chunk = records.slice(i, i + INSERT_CHUNK);
        const ids = pglite ? await copyRows(pglite, chunk) : await insertRows(chunk);
        chunk.forEach((r, k) =>
          out.push({ id: ids[k]!, functionName: r.functionName, version: r.version, requestId: r.requestId, instanceId: r.instanceId, at: new Date(r.at), stream: r.stream, message: r.message }),
        );
      }
      return out;
    },

    async existing(rows) {
      const found = new Set<number>();
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        const result = await db.execute(sql`
          select (n - 1)::int as k from json_array_elements(${rowsJson(rows.slice(i, i + INSERT_CHUNK))}::json) with ordinality as t(r, n)
          where exists (
            select 1 from function_logs f
            where f.function_name = r->>0 and (f.request_id = r->>2 or (f.request_id is null and r->>2 is null))
              and f.version = (r->>1)::int and f.instance_id = r->>3 and f.at = to_timestamp((r->>4)::float8 / 1000)::timestamptz(3)
              and f.stream = r->>5 and f.message = r->>6)`);
        for (const { k } of rowsOf<{ k: number }>(result)) found.add(i + Number(k));
      }
      return found;
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
