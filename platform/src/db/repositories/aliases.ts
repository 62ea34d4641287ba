/**
 * Aliases repository: named pointers to a primary version plus weighted extra versions.
 * upsert returns the previous state so callers can audit it and restore it on rollback.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { functionAliases, functions, type RoutingConfig } from "../schema.ts";

export interface Alias {
  id: string;
  functionId: string;
  functionName: string;
  name: string;
  version: number;
  routingConfig: RoutingConfig;
  description: string;
  /** Traffic changes only through an approved deployment. */
  protected: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface AliasInput {
  version: number;
  /** Omitted: empty weights on create, unchanged on update. */
  routingConfig?: RoutingConfig;
  /** Omitted: "" on create, unchanged on update. */
  description?: string;
  /** Omitted: false on create, unchanged on update. */
  protected?: boolean;
}

export interface AliasUpsert {
  alias: Alias;
  /** The alias before this call, or null when it was created. */
  before: Alias | null;
}

export interface AliasesRepository {
  /** Create or replace the alias. Null when the function does not exist. */
  upsert(functionName: string, name: string, input: AliasInput): Promise<AliasUpsert | null>;
  get(functionName: string, name: string): Promise<Alias | null>;
  /** The function's aliases, ordered by name. */
  list(functionName: string): Promise<Alias[]>;
  /** Every alias of every function, for building the in-memory routing table. */
  listAll(): Promise<Alias[]>;
  delete(functionName: string, name: string): Promise<boolean>;
}

export function toAlias(row: typeof functionAliases.$inferSelect): Alias {
  return {
    id: row.id,
    functionId: row.functionId,
    functionName: row.functionName,
    name: row.name,
    version: row.version,
    routingConfig: row.routingConfig,
    description: row.description,
    protected: row.protected,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const byName = (functionName: string, name: string) =>
  and(eq(functionAliases.functionName, functionName), eq(functionAliases.name, name));

export function createAliasesRepository(db: Db): AliasesRepository {
  return {
    async upsert(functionName, name, input) {
      return db.transaction(async (tx) => {
        // Locking the function row serialises alias changes per function, so `before` is exactly
        // the state this write replaced even when two writers race.
        const [fn] = await tx
          .select({ id: functions.id })
          .from(functions)
          .where(eq(functions.name, functionName))
          .for("update");
        if (!fn) return null;
        const [prev] = await tx.select().from(functionAliases).where(byName(functionName, name));
        const [row] = await tx
          .insert(functionAliases)
          .values({
            functionId: fn.id,
            functionName,
            name,
            version: input.version,
            routingConfig: input.routingConfig ?? { additionalVersionWeights: {} },
            description: input.description ?? "",
            protected: input.protected ?? false,
          })
          .onConflictDoUpdate({
            target: [functionAliases.functionId, functionAliases.name],
            set: {
              version: input.version,
              ...(input.routingConfig !== undefined && { routingConfig: input.routingConfig }),
              ...(input.description !== undefined && { description: input.description }),
              ...(input.protected !== undefined && { protected: input.protected }),
              updatedAt: sql`now()`,
            },
          })
          .returning();
        return { alias: toAlias(row), before: prev ? toAlias(prev) : null };
      });
    },

    async get(functionName, name) {
      const [row] = await db.select().from(functionAliases).where(byName(functionName, name));
      return row ? toAlias(row) : null;
    },

    async list(functionName) {
      const rows = await db
        .select()
        .from(functionAliases)
        .where(eq(functionAliases.functionName, functionName))
        .orderBy(asc(functionAliases.name));
      return rows.map(toAlias);
    },

    async listAll() {
      const rows = await db
        .select()
        .from(functionAliases)
        .orderBy(asc(functionAliases.functionName), asc(functionAliases.name));
      return rows.map(toAlias);
    },

    async delete(functionName, name) {
      const rows = await db.delete(functionAliases).where(byName(functionName, name)).returning({ id: functionAliases.id });
      return rows.length > 0;
    },
  };
}
