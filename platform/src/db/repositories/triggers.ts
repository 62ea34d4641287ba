/**
 * Triggers repository: Http, Scheduled, Queue and Stream event sources bound to a function.
 */
import { and, asc, eq, type SQL } from "drizzle-orm";
import type { Db } from "../database.ts";
import { triggers, type JsonObject, type TriggerType } from "../schema.ts";
import { isUuid } from "./uuid.ts";

export interface Trigger {
  id: string;
  functionName: string;
  type: TriggerType;
  config: JsonObject;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface TriggerInput {
  functionName: string;
  type: TriggerType;
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
}

function toTrigger(row: typeof triggers.$inferSelect): Trigger {
  return {
    id: row.id,
    functionName: row.functionName,
    type: row.type,
    config: row.config,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function createTriggersRepository(db: Db): TriggersRepository {
  return {
    async create(input) {
      const [row] = await db
        .insert(triggers)
        .values({
          functionName: input.functionName,
          type: input.type,
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
  };
}
