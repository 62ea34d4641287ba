/**
 * Triggers repository: Http, Scheduled, Queue and Stream event sources bound to a function.
 */
import { and, asc, eq, isNull, sql, type SQL } from "drizzle-orm";
import type { Db } from "../database.ts";
import { triggers, type JsonObject, type TriggerType } from "../schema.ts";
import { isUuid } from "./uuid.ts";

export interface Trigger {
  id: string;
  functionName: string;
  type: TriggerType;
  /** Version, alias or $LATEST the trigger invokes. */
  qualifier: string;
  config: JsonObject;
  enabled: boolean;
  executionCount: number;
  failureCount: number;
  lastExecutedAt: Date | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TriggerInput {
  functionName: string;
  type: TriggerType;
  /** Default $LATEST. */
  qualifier?: string;
  config: JsonObject;
  /** Default true. */
  enabled?: boolean;
}

export interface TriggersRepository {
  create(input: TriggerInput): Promise<Trigger>;
  /** Oldest first; filtered by function and/or type when given. */
  list(filter?: { functionName?: string; type?: TriggerType }): Promise<Trigger[]>;
  get(id: string): Promise<Trigger | null>;
  delete(id: string): Promise<boolean>;
  // --- Updates and execution statistics (the triggers API and the HTTP gateway) ---
  /** Replace the given fields; null when there is no such trigger. */
  update(id: string, patch: TriggerPatch): Promise<Trigger | null>;
  /** Delete every trigger of a function (the function is being deleted); returns their ids. */
  deleteByFunction(functionName: string): Promise<string[]>;
  /** Add a batch of executions to a trigger's counters in one statement; a missing trigger is ignored. */
  addStats(id: string, stats: TriggerStatsDelta): Promise<void>;
  /**
   * Run `fn` on this repository bound to one transaction that holds the cluster-wide Http route lock
   * (a transaction-scoped advisory lock), so checking a route for conflicts and writing it is atomic
   * against every other create or update of an Http trigger, on any replica.
   */
  withRouteLock<T>(fn: (locked: TriggersRepository) => Promise<T>): Promise<T>;
}

/** The advisory lock key of Http routes ("HSRT"). */
const HTTP_ROUTE_LOCK = 0x48535254;

export interface TriggerPatch {
  qualifier?: string;
  config?: JsonObject;
  enabled?: boolean;
}

/** Executions since the last flush: counts to add, and the newest time and error to keep. */
export interface TriggerStatsDelta {
  executions: number;
  failures: number;
  lastExecutedAt: Date;
  /** The newest failure's message, when the batch had one (kept until the next failure). */
  lastError?: string;
}

function toTrigger(row: typeof triggers.$inferSelect): Trigger {
  return {
    id: row.id,
    functionName: row.functionName,
    type: row.type,
    qualifier: row.qualifier,
    config: row.config,
    enabled: row.enabled,
    executionCount: row.executionCount,
    failureCount: row.failureCount,
    lastExecutedAt: row.lastExecutedAt,
    lastError: row.lastError,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function createTriggersRepository(db: Db): TriggersRepository {
  return {
    withRouteLock(fn) {
      return db.transaction(async (tx) => {
        await tx.execute(sql`SELECT pg_advisory_xact_lock(${HTTP_ROUTE_LOCK})`);
        return fn(createTriggersRepository(tx));
      });
    },

    async create(input) {
      const [row] = await db
        .insert(triggers)
        .values({
          functionName: input.functionName,
          type: input.type,
          qualifier: input.qualifier ?? "$LATEST",
          config: input.config,
          enabled: input.enabled ?? true,
        })
        .returning();
      return toTrigger(row);
    },

    async list(filter = {}) {
      const where: SQL[] = [];
      if (filter.functionName !== undefined) where.push(eq(triggers.functionName, filter.functionName));
      if (filter.type !== undefined) where.push(eq(triggers.type, filter.type));
      const rows = await db
        .select()
        .from(triggers)
        .where(and(...where))
        .orderBy(asc(triggers.createdAt), asc(triggers.id));
      return rows.map(toTrigger);
    },

    async get(id) {
      if (!isUuid(id)) return null;
      const [row] = await db.select().from(triggers).where(eq(triggers.id, id));
      return row ? toTrigger(row) : null;
    },

    async delete(id) {
      if (!isUuid(id)) return false;
      const rows = await db.delete(triggers).where(eq(triggers.id, id)).returning({ id: triggers.id });
      return rows.length > 0;
    },

    // --- Updates and execution statistics (the triggers API and the HTTP gateway) ---
    async update(id, patch) {
      if (!isUuid(id)) return null;
      const set: Partial<typeof triggers.$inferInsert> = { updatedAt: new Date() };
      if (patch.qualifier !== undefined) set.qualifier = patch.qualifier;
      if (patch.config !== undefined) set.config = patch.config;
      if (patch.enabled !== undefined) set.enabled = patch.enabled;
      const [row] = await db.update(triggers).set(set).where(eq(triggers.id, id)).returning();
      return row ? toTrigger(row) : null;
    },

    async deleteByFunction(functionName) {
      const rows = await db.delete(triggers).where(eq(triggers.functionName, functionName)).returning({ id: triggers.id });
      return rows.map((r) => r.id);
    },

    async addStats(id, stats) {
      if (!isUuid(id)) return;
      await db
        .update(triggers)
        .set({
          executionCount: sql`${triggers.executionCount} + ${stats.executions}`,
          failureCount: sql`${triggers.failureCount} + ${stats.failures}`,
          // Batches from several replicas may land out of order: keep the newest time.
          lastExecutedAt: sql`greatest(${triggers.lastExecutedAt}, ${stats.lastExecutedAt.toISOString()}::timestamptz)`,
          ...(stats.lastError !== undefined ? { lastError: stats.lastError } : {}),
        })
        .where(eq(triggers.id, id));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Scheduled ticks and trigger statistics (the schedule engine and the async workers).
// Kept apart from the CRUD above: these are the engine's writes, each one statement or transaction.
// ---------------------------------------------------------------------------------------------

/** What the schedule engine reads of an enabled Scheduled trigger. */
export interface ScheduledTriggerRow {
  id: string;
  functionName: string;
  qualifier: string;
  config: JsonObject;
  createdAt: Date;
  /** The last tick fired (or skipped), null before the first. */
  lastFiredTick: Date | null;
}

/** A tick fired (already queued): the compare-and-set of last_fired_tick from `prev` to `tick`. */
export interface ScheduledTickFiring {
  triggerId: string;
  /** The last_fired_tick the decision was made on (null before the first tick). */
  prev: Date | null;
  tick: Date;
}

export interface TriggerOutcome {
  failed: boolean;
  at: Date;
  /** The failure, kept as the trigger's last error; a success leaves the last error as it was. */
  error?: string;
}

export interface ScheduledTicksRepository {
  /** Enabled Scheduled triggers, oldest first. */
  listScheduledForFiring(): Promise<ScheduledTriggerRow[]>;
  /**
   * Advance last_fired_tick from `prev` to `tick` (only if it still is `prev` and the trigger is
   * still enabled), once the tick is queued. False, with nothing written, when another replica (or
   * an earlier pass) already moved it.
   */
  fireScheduledTick(f: ScheduledTickFiring): Promise<boolean>;
  /** Advance last_fired_tick from `prev` to `tick` without firing (ticks missed beyond the grace). */
  skipScheduledTicks(triggerId: string, prev: Date | null, tick: Date): Promise<boolean>;
  /** Count an invocation's final outcome on its trigger (executionCount, failureCount, lastExecutedAt, lastError). */
  recordTriggerOutcome(triggerId: string, outcome: TriggerOutcome): Promise<void>;
}

function tickIs(prev: Date | null): SQL {
  return prev === null ? isNull(triggers.lastFiredTick) : eq(triggers.lastFiredTick, prev);
}

export function createScheduledTicksRepository(db: Db): ScheduledTicksRepository {
  return {
    async listScheduledForFiring() {
      const rows = await db
        .select({
          id: triggers.id,
          functionName: triggers.functionName,
          qualifier: triggers.qualifier,
          config: triggers.config,
          createdAt: triggers.createdAt,
          lastFiredTick: triggers.lastFiredTick,
        })
        .from(triggers)
        .where(and(eq(triggers.type, "Scheduled"), eq(triggers.enabled, true)))
        .orderBy(asc(triggers.createdAt), asc(triggers.id));
      return rows;
    },

    async fireScheduledTick(f) {
      const moved = await db
        .update(triggers)
        .set({ lastFiredTick: f.tick })
        .where(and(eq(triggers.id, f.triggerId), eq(triggers.enabled, true), tickIs(f.prev)))
        .returning({ id: triggers.id });
      return moved.length > 0;
    },

    async skipScheduledTicks(triggerId, prev, tick) {
      const moved = await db
        .update(triggers)
        .set({ lastFiredTick: tick })
        .where(and(eq(triggers.id, triggerId), tickIs(prev)))
        .returning({ id: triggers.id });
      return moved.length > 0;
    },

    async recordTriggerOutcome(triggerId, outcome) {
      if (!isUuid(triggerId)) return;
      await db
        .update(triggers)
        .set({
          executionCount: sql`${triggers.executionCount} + 1`,
          failureCount: outcome.failed ? sql`${triggers.failureCount} + 1` : triggers.failureCount,
          lastExecutedAt: outcome.at,
          ...(outcome.error !== undefined ? { lastError: outcome.error } : {}),
        })
        .where(eq(triggers.id, triggerId));
    },
  };
}
