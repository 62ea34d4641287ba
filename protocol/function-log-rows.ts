/**
 * Function-log rows: how lines travel from runners to the database and are stored. A runner's
 * shipper groups the lines of one invocation (same function, version, request and instance) that
 * fall in one batch into one row, so an invocation costs one stream tuple and one database row
 * however many lines it wrote (START, its output, END, REPORT). A row of one line is stored as it
 * is (its stream `stdout`, `stderr` or `platform`); a row of several lines has stream `pack` and a
 * message of `\n`-separated entries `<s><ms> <text>`: `s` the stream's letter (o, e, p), `ms` the
 * line's time after the row's `at`, then the text. A function's lines never contain `\n` (the
 * runner splits on it); a platform notice that does (a crash's last stderr lines) is written as a
 * JSON string after an upper-case letter (O, E, P). Readers expand packs back into lines
 * (linesOfRow). A pack spans less than LOG_PACK_SPAN_MS, which readers widen a `since` filter by.
 */
import type { FunctionLogRecord, FunctionLogStream } from "./function-logs.ts";

/** The stream column of a row holding several lines. */
export const LOG_PACK_STREAM = "pack";
export type StoredLogStream = FunctionLogStream | typeof LOG_PACK_STREAM;

/** Longest time between a pack's first and last line; the shipper starts a new batch before it. */
export const LOG_PACK_SPAN_MS = 1000;

/** A row as shipped and stored: a FunctionLogRecord, or a pack of several of one invocation. */
export interface FunctionLogRow extends Omit<FunctionLogRecord, "stream"> {
  stream: StoredLogStream;
}

/** A row on the wire (stream field `rows`): a JSON array of these tuples. */
export type FunctionLogRowTuple = [functionName: string, version: number, requestId: string | null, instanceId: string, at: number, stream: StoredLogStream, message: string];

const LETTER: Record<FunctionLogStream, string> = { stdout: "o", stderr: "e", platform: "p" };
const STREAM_OF: Record<string, FunctionLogStream> = { o: "stdout", e: "stderr", p: "platform" };

/** One line of a row, as readers see it. */
export interface RowLine {
  at: number;
  stream: FunctionLogStream;
  message: string;
}

/** The rows of a batch of records, in order of each row's first line: the lines of one invocation (and instance) in one row. */
export function rowsOf(records: readonly FunctionLogRecord[]): FunctionLogRowTuple[] {
  const groups = new Map<string, FunctionLogRecord[]>();
  const order: FunctionLogRecord[][] = [];
  for (const r of records) {
    const key = `${r.functionName}\0${r.version}\0${r.requestId}\0${r.instanceId}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else {
      const fresh = [r];
      groups.set(key, fresh);
      order.push(fresh);
    }
  }
  return order.map((g) => {
    const first = g[0]!;
    if (g.length === 1) return [first.functionName, first.version, first.requestId, first.instanceId, first.at, first.stream, first.message];
    let text = "";
    for (let i = 0; i < g.length; i++) {
      const r = g[i]!;
      const plain = !r.message.includes("\n");
      const letter = plain ? LETTER[r.stream] : LETTER[r.stream].toUpperCase();
      text += `${i === 0 ? "" : "\n"}${letter}${Math.max(0, r.at - first.at)} ${plain ? r.message : JSON.stringify(r.message)}`;
    }
    return [first.functionName, first.version, first.requestId, first.instanceId, first.at, LOG_PACK_STREAM, text];
  });
}

/** The lines of a stored row: itself, or a pack's lines. A malformed pack entry reads as a platform line holding the entry. */
export function linesOfRow(row: { at: number; stream: StoredLogStream; message: string }): RowLine[] {
  if (row.stream !== LOG_PACK_STREAM) return [{ at: row.at, stream: row.stream, message: row.message }];
  return row.message.split("\n").map((entry) => {
    const space = entry.indexOf(" ");
    const letter = entry[0] ?? "";
    const stream = STREAM_OF[letter.toLowerCase()];
    const offset = space > 1 ? Number(entry.slice(1, space)) : NaN;
    const text = entry.slice(space + 1);
    const message = letter === letter.toLowerCase() ? text : jsonString(text);
    if (stream === undefined || !Number.isSafeInteger(offset) || message === undefined) return { at: row.at, stream: "platform", message: entry };
    return { at: row.at + offset, stream, message };
  });
}

function jsonString(text: string): string | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The records shipped as these rows, packs expanded (readers of the raw stream: tests, tools). */
export function recordsOfRows(rows: readonly FunctionLogRowTuple[]): FunctionLogRecord[] {
  return rows.flatMap(([functionName, version, requestId, instanceId, at, stream, message]) =>
    linesOfRow({ at, stream, message }).map((l) => ({ functionName, version, requestId, instanceId, ...l })),
  );
}
