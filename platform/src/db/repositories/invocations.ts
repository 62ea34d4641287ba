/**
 * Invocation records: one row per asynchronous or trigger-driven invocation, keyed by its request
 * id (the idempotency key of at-least-once delivery). Besides reads for the API, it owns the
 * records' ownership protocol: a worker takes a record with `take` (a compare-and-set that only
 * succeeds on a Queued record, or on one whose owner stopped touching it), then every write it
 * makes is fenced by the `updatedAt` stamp it last wrote, so a worker that lost the record (it was
 * taken over after a stall) changes nothing.
 *
 * With the embedded async queue (no Redis) a record also keeps its queued event until it is final,
 * in the `result` column (which holds the handler's result only once Succeeded): the queue lives in
 * the process's memory, so `unfinishedEvents` is what puts the events back after a crash.
 */
import { and, asc, count, desc, eq, inArray, isNotNull, lt, or, sql, type SQL } from "drizzle-orm";
import { FINAL_STATUSES, type InvocationAttempt, type InvocationError, type InvocationStatus } from "../../../../protocol/api/invocations.ts";
import type { Db } from "../database.ts";
import { invocations, type JsonObject } from "../schema.ts";

export interface InvocationRecord {
  requestId: string;
  functionName: string;
  qualifier: string | null;
  version: number | null;
  source: string;
  status: InvocationStatus;
  attempts: InvocationAttempt[];
  result: string | null;
  error: InvocationError | null;
  destination: string | null;
  duplicates: number;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface NewInvocation {
  requestId: string;
  functionName: string;
  qualifier?: string;
  source: string;
  /** Also the first stamp (updatedAt); ms precision, so cursors compare exactly. */
  createdAt: Date;
  /** The queued event (its encoded stream fields), kept until the record is final: set by the embedded queue. */
  event?: string;
}

/** What a worker may change on a record it owns. */
export interface InvocationPatch {
  status?: InvocationStatus;
  version?: number;
  attempts?: InvocationAttempt[];
  result?: string | null;
  error?: InvocationError | null;
  destination?: string | null;
  startedAt?: Date;
  finishedAt?: Date;
}

export type TakeResult =
  | { kind: "taken"; record: InvocationRecord }
  | { kind: "final"; record: InvocationRecord }
  /** Another worker owns it and touched it after `staleBefore`. */
  | { kind: "busy" }
  | { kind: "missing" };

export interface InvocationListFilter {
  status?: InvocationStatus;
  source?: string;
  limit: number;
  /** From a previous page's nextCursor. */
  cursor?: string;
}

export interface InvocationsRepository {
  /** Insert a Queued record; false when the request id already has one (nothing changed). */
  createQueued(input: NewInvocation): Promise<boolean>;
  /** Insert several Queued records in one statement; the request ids that were new (the others had one). */
  createQueuedMany(inputs: readonly NewInvocation[]): Promise<Set<string>>;
  get(requestId: string): Promise<InvocationRecord | null>;
  /** Newest first, by function; nextCursor when there may be more. */
  list(functionName: string, filter: InvocationListFilter): Promise<{ records: InvocationRecord[]; nextCursor?: string }>;
  /** Remove a record (an enqueue whose event could not be queued). */
  delete(requestId: string): Promise<void>;
  /**
   * Take ownership for a worker: Queued becomes Running; Running or Retrying records are taken only
   * when untouched since `staleBefore` (their owner died). The record's updatedAt becomes `stamp`.
   */
  take(requestId: string, stamp: Date, staleBefore: Date): Promise<TakeResult>;
  /** Write `patch` if the record still carries `stamp`; its new stamp is `next`. False when it was taken over. */
  update(requestId: string, stamp: Date, next: Date, patch: InvocationPatch): Promise<boolean>;
  /** Count a redelivery of an event whose record was already final. */
  countDuplicate(requestId: string): Promise<void>;
  /** The events kept with records that are not final yet (NewInvocation.event), oldest first. */
  unfinishedEvents(): Promise<Array<{ requestId: string; event: string }>>;
  /** How many records are Queued, Running and Retrying (across the cluster). */
  countUnfinished(): Promise<Record<UnfinishedStatus, number>>;
}

export const UNFINISHED_STATUSES = ["Queued", "Running", "Retrying"] as const satisfies readonly InvocationStatus[];
export type UnfinishedStatus = (typeof UNFINISHED_STATUSES)[number];

type Row = typeof invocations.$inferSelect;

function toRecord(row: Row): InvocationRecord {
  return {
    requestId: row.requestId,
    functionName: row.functionName,
    qualifier: row.qualifier,
    version: row.version,
    source: row.source,
    status: row.status,
    attempts: row.attempts as unknown as InvocationAttempt[],
    // Until a record is final its result column may hold the queued event (embedded queue).
    result: FINAL_STATUSES.includes(row.status) ? row.result : null,
    error: row.error as InvocationError | null,
    destination: row.destination,
    duplicates: row.duplicates,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

/** `createdAt|requestId` of the last record of a page, base64url. */
function encodeCursor(r: InvocationRecord): string {
  return Buffer.from(`${r.createdAt.toISOString()}|${r.requestId}`).toString("base64url");
}

function decodeCursor(cursor: string): { at: Date; id: string } | undefined {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const d = new Date(at ?? "");
  return id && /^[A-Za-z0-9._:-]{1,128}$/.test(id) && !Number.isNaN(d.getTime()) ? { at: d, id } : undefined;
}

/** Whether `cursor` is one this repository handed out (the API answers 400 otherwise). */
export function isInvocationCursor(cursor: string): boolean {
  return decodeCursor(cursor) !== undefined;
}

export function createInvocationsRepository(db: Db): InvocationsRepository {
  return {
    async createQueued(input) {
      return (await this.createQueuedMany([input])).has(input.requestId);
    },

    async createQueuedMany(inputs) {
      if (inputs.length === 0) return new Set();
      const rows = await db
        .insert(invocations)
        .values(
          inputs.map((input) => ({
            requestId: input.requestId,
            functionName: input.functionName,
            qualifier: input.qualifier ?? null,
            source: input.source,
            status: "Queued" as const,
            createdAt: input.createdAt,
            updatedAt: input.createdAt,
            result: input.event ?? null,
          })),
        )
        .onConflictDoNothing()
        .returning({ id: invocations.requestId });
      return new Set(rows.map((r) => r.id));
    },

    async get(requestId) {
      const [row] = await db.select().from(invocations).where(eq(invocations.requestId, requestId));
      return row ? toRecord(row) : null;
    },

    async list(functionName, filter) {
      const where: SQL[] = [eq(invocations.functionName, functionName)];
      if (filter.status) where.push(eq(invocations.status, filter.status));
      if (filter.source) where.push(eq(invocations.source, filter.source));
      const c = filter.cursor ? decodeCursor(filter.cursor) : undefined;
      if (c) where.push(or(lt(invocations.createdAt, c.at), and(eq(invocations.createdAt, c.at), lt(invocations.requestId, c.id)))!);
      const rows = await db
        .select()
        .from(invocations)
        .where(and(...where))
        .orderBy(desc(invocations.createdAt), desc(invocations.requestId))
        .limit(filter.limit + 1);
      const records = rows.slice(0, filter.limit).map(toRecord);
      return rows.length > filter.limit ? { records, nextCursor: encodeCursor(records[records.length - 1]!) } : { records };
    },

    async delete(requestId) {
      await db.delete(invocations).where(eq(invocations.requestId, requestId));
    },

    async take(requestId, stamp, staleBefore) {
      const [row] = await db
        .update(invocations)
        .set({
          status: sql`CASE WHEN ${invocations.status} = 'Queued' THEN 'Running' ELSE ${invocations.status} END`,
          startedAt: sql`COALESCE(${invocations.startedAt}, ${stamp.toISOString()}::timestamptz)`,
          // Taken over while Running: its dead owner may have run the handler already (a possible duplicate).
          duplicates: sql`${invocations.duplicates} + CASE WHEN ${invocations.status} = 'Running' THEN 1 ELSE 0 END`,
          updatedAt: stamp,
        })
        .where(
          and(
            eq(invocations.requestId, requestId),
            or(eq(invocations.status, "Queued"), and(inArray(invocations.status, ["Running", "Retrying"]), lt(invocations.updatedAt, staleBefore))),
          ),
        )
        .returning();
      if (row) return { kind: "taken", record: toRecord(row) };
      const current = await this.get(requestId);
      if (!current) return { kind: "missing" };
      if (current.status === "Succeeded" || current.status === "Failed" || current.status === "DeadLettered") return { kind: "final", record: current };
      return { kind: "busy" };
    },

    async update(requestId, stamp, next, patch) {
      const set: Partial<typeof invocations.$inferInsert> = { updatedAt: next };
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.version !== undefined) set.version = patch.version;
      if (patch.attempts !== undefined) set.attempts = patch.attempts as unknown as JsonObject[];
      if (patch.result !== undefined) set.result = patch.result;
      if (patch.error !== undefined) set.error = patch.error as JsonObject | null;
      if (patch.destination !== undefined) set.destination = patch.destination;
      if (patch.startedAt !== undefined) set.startedAt = patch.startedAt;
      if (patch.finishedAt !== undefined) set.finishedAt = patch.finishedAt;
      const rows = await db
        .update(invocations)
        .set(set)
        .where(and(eq(invocations.requestId, requestId), eq(invocations.updatedAt, stamp)))
        .returning({ id: invocations.requestId });
      return rows.length > 0;
    },

    async countDuplicate(requestId) {
      await db
        .update(invocations)
        .set({ duplicates: sql`${invocations.duplicates} + 1` })
        .where(eq(invocations.requestId, requestId));
    },

    async unfinishedEvents() {
      const rows = await db
        .select({ requestId: invocations.requestId, event: invocations.result })
        .from(invocations)
        .where(and(inArray(invocations.status, [...UNFINISHED_STATUSES]), isNotNull(invocations.result)))
        .orderBy(asc(invocations.createdAt));
      return rows.map((r) => ({ requestId: r.requestId, event: r.event! }));
    },

    async countUnfinished() {
      const rows = await db
        .select({ status: invocations.status, n: count() })
        .from(invocations)
        .where(inArray(invocations.status, [...UNFINISHED_STATUSES]))
        .groupBy(invocations.status);
      const out = { Queued: 0, Running: 0, Retrying: 0 };
      for (const r of rows) out[r.status as UnfinishedStatus] = Number(r.n);
      return out;
    },
  };
}
