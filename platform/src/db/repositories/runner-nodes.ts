/**
 * Runner nodes repository: the durable registry of runners (live heartbeats are in the state
 * store; this is what survives a restart and what the console lists).
 */
import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { runnerNodes, type JsonObject } from "../schema.ts";

export interface RunnerNode {
  id: string;
  pool: string;
  labels: Record<string, string>;
  address: string;
  backend: string;
  capacity: JsonObject;
  status: string;
  lastHeartbeatAt: Date;
  registeredAt: Date;
  metadata: JsonObject;
}

export interface RunnerNodeInput {
  id: string;
  pool: string;
  labels?: Record<string, string>;
  address: string;
  backend: string;
  capacity?: JsonObject;
  status: string;
  metadata?: JsonObject;
}

export interface RunnerNodesRepository {
  /** Register or refresh a runner; keeps registeredAt, sets lastHeartbeatAt to now. */
  upsert(input: RunnerNodeInput): Promise<RunnerNode>;
  /** All runners ordered by pool, then id. */
  list(): Promise<RunnerNode[]>;
  get(id: string): Promise<RunnerNode | null>;
  /** Null when the runner is unknown. */
  markStatus(id: string, status: string): Promise<RunnerNode | null>;
}

function toRunnerNode(row: typeof runnerNodes.$inferSelect): RunnerNode {
  return {
    id: row.id,
    pool: row.pool,
    labels: row.labels,
    address: row.address,
    backend: row.backend,
    capacity: row.capacity,
    status: row.status,
    lastHeartbeatAt: row.lastHeartbeatAt,
    registeredAt: row.registeredAt,
    metadata: row.metadata,
  };
}

export function createRunnerNodesRepository(db: Db): RunnerNodesRepository {
  return {
    async upsert(input) {
      const values = {
        id: input.id,
        pool: input.pool,
        labels: input.labels ?? {},
        address: input.address,
        backend: input.backend,
        capacity: input.capacity ?? {},
        status: input.status,
        metadata: input.metadata ?? {},
      };
      const { id: _id, ...changes } = values;
      const [row] = await db
        .insert(runnerNodes)
        .values(values)
        .onConflictDoUpdate({ target: runnerNodes.id, set: { ...changes, lastHeartbeatAt: sql`now()` } })
        .returning();
      return toRunnerNode(row);
    },

    async list() {
      const rows = await db.select().from(runnerNodes).orderBy(asc(runnerNodes.pool), asc(runnerNodes.id));
      return rows.map(toRunnerNode);
    },

    async get(id) {
      const [row] = await db.select().from(runnerNodes).where(eq(runnerNodes.id, id));
      return row ? toRunnerNode(row) : null;
    },

    async markStatus(id, status) {
      const [row] = await db.update(runnerNodes).set({ status }).where(eq(runnerNodes.id, id)).returning();
      return row ? toRunnerNode(row) : null;
    },
  };
}
