/**
 * Functions repository: the mutable function configuration ($LATEST). Names are unique;
 * deleting a function cascades to its versions and aliases (foreign keys on delete cascade).
 */
import { asc, eq, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { translateUnique } from "../errors.ts";
import { functions, type JsonObject } from "../schema.ts";
import type { RuntimeId, RuntimeProtocol } from "../../../../protocol/runtimes.ts";

export interface FunctionRecord {
  id: string;
  name: string;
  runtime: RuntimeId;
  handler: string;
  memorySize: number;
  /** Seconds. */
  timeout: number;
  environment: Record<string, string>;
  /** Secret environment values, sealed (function-secrets.ts): name → sealed value. */
  secrets: Record<string, string>;
  description: string;
  tags: Record<string, string>;
  protocol: RuntimeProtocol;
  instanceConcurrency: number;
  maxInstances: number | null;
  reservedConcurrency: number | null;
  provisionedConcurrency: number;
  keepWarm: JsonObject | null;
  scaling: JsonObject | null;
  /** Days log lines are kept; null = the platform default. */
  logRetentionDays: number | null;
  /** Cap on the octets of log lines kept; null = the platform default. */
  logMaxBytes: number | null;
  /** Invocations per second with a burst; null = the server default. */
  rateLimit: { rps: number; burst: number } | null;
  /** Layer versions ("name:N") the next published version runs with, in merge order. */
  layers: string[];
  /** Highest published version number; 0 before the first publish. */
  latestVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Fields the caller may set. Omitted optional fields take the column defaults. */
export type FunctionConfig = Omit<FunctionRecord, "id" | "name" | "latestVersion" | "createdAt" | "updatedAt">;
type RequiredConfig = "runtime" | "handler" | "memorySize" | "timeout";
export type CreateFunctionInput = { name: string } & Pick<FunctionConfig, RequiredConfig> &
  Partial<Omit<FunctionConfig, RequiredConfig>>;
export type FunctionPatch = Partial<FunctionConfig>;

export interface FunctionsRepository {
  /** Throws DuplicateError when a function with this name exists. */
  create(input: CreateFunctionInput): Promise<FunctionRecord>;
  get(name: string): Promise<FunctionRecord | null>;
  /** All functions, ordered by name. */
  list(): Promise<FunctionRecord[]>;
  /** Applies the patch and bumps updatedAt. Null when the function does not exist. */
  update(name: string, patch: FunctionPatch): Promise<FunctionRecord | null>;
  /** True when a function was deleted; its versions and aliases go with it. */
  delete(name: string): Promise<boolean>;
}

export function toFunctionRecord(row: typeof functions.$inferSelect): FunctionRecord {
  return {
    id: row.id,
    name: row.name,
    runtime: row.runtime,
    handler: row.handler,
    memorySize: row.memorySize,
    timeout: row.timeout,
    environment: row.environment,
    secrets: row.secrets,
    description: row.description,
    tags: row.tags,
    protocol: row.protocol,
    instanceConcurrency: row.instanceConcurrency,
    maxInstances: row.maxInstances,
    reservedConcurrency: row.reservedConcurrency,
    provisionedConcurrency: row.provisionedConcurrency,
    keepWarm: row.keepWarm,
    scaling: row.scaling,
    logRetentionDays: row.logRetentionDays,
    logMaxBytes: row.logMaxBytes,
    rateLimit: (row.rateLimit as FunctionRecord["rateLimit"]) ?? null,
    layers: row.layers,
    latestVersion: row.latestVersion,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Only the configurable keys, so stray properties (id, latestVersion…) can never be written. */
function configValues(patch: FunctionPatch): FunctionPatch {
  const keys: (keyof FunctionConfig)[] = [
    "runtime",
    "handler",
    "memorySize",
    "timeout",
    "environment",
    "secrets",
    "description",
    "tags",
    "protocol",
    "instanceConcurrency",
    "maxInstances",
    "reservedConcurrency",
    "provisionedConcurrency",
    "keepWarm",
    "scaling",
    "logRetentionDays",
    "logMaxBytes",
    "rateLimit",
    "layers",
  ];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (patch[k] !== undefined) out[k] = patch[k];
  return out as FunctionPatch;
}

export function createFunctionsRepository(db: Db): FunctionsRepository {
  return {
    async create(input) {
      const [row] = await translateUnique(`function "${input.name}"`, () =>
        db
          .insert(functions)
          .values({ ...configValues(input), name: input.name } as typeof functions.$inferInsert)
          .returning(),
      );
      return toFunctionRecord(row);
    },

    async get(name) {
      const [row] = await db.select().from(functions).where(eq(functions.name, name));
      return row ? toFunctionRecord(row) : null;
    },

    async list() {
      const rows = await db.select().from(functions).orderBy(asc(functions.name));
      return rows.map(toFunctionRecord);
    },

    async update(name, patch) {
      const [row] = await db
        .update(functions)
        .set({ ...configValues(patch), updatedAt: sql`now()` })
        .where(eq(functions.name, name))
        .returning();
      return row ? toFunctionRecord(row) : null;
    },

    async delete(name) {
      const rows = await db.delete(functions).where(eq(functions.name, name)).returning({ id: functions.id });
      return rows.length > 0;
    },
  };
}
