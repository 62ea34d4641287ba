/**
 * Versions repository: immutable, numbered snapshots of a function's code and configuration.
 * Version numbers are allocated by incrementing functions.latest_version under the row lock,
 * so concurrent publishes of one function get 1, 2, 3… with no gaps or duplicates.
 */
import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { functions, functionVersions, layerVersions, type VersionLayer } from "../schema.ts";
import type { RuntimeId, RuntimeProtocol } from "../../../../protocol/runtimes.ts";

export interface Version {
  id: string;
  functionId: string;
  functionName: string;
  version: number;
  codeSha256: string;
  codeSize: number;
  codeLocation: string;
  description: string;
  runtime: RuntimeId;
  handler: string;
  memorySize: number;
  timeout: number;
  environment: Record<string, string>;
  /** The function's sealed secrets at publish time (copied sealed, never opened here). */
  secrets: Record<string, string>;
  protocol: RuntimeProtocol;
  instanceConcurrency: number;
  /** The layer versions it runs with, resolved at publish time, in merge order. */
  layers: VersionLayer[];
  createdAt: Date;
}

export interface PublishInput {
  codeSha256: string;
  codeSize: number;
  codeLocation: string;
  description?: string;
  /** Variables for this version only, laid over the function's environment in the snapshot. */
  environment?: Record<string, string>;
  /** The function's layers, resolved to code shas by the caller. @default [] */
  layers?: VersionLayer[];
}

export interface VersionsRepository {
  /**
   * Allocate the next version number and snapshot the function's current configuration.
   * Null when the function does not exist.
   */
  publish(functionName: string, input: PublishInput): Promise<Version | null>;
  /** Versions of the function, oldest first. */
  list(functionName: string): Promise<Version[]>;
  /** Every version of every function, by function name then version (the routing table's full refresh). */
  listAll(): Promise<Version[]>;
  get(functionName: string, version: number): Promise<Version | null>;
  /** The highest-numbered version, or null when none was published. */
  latest(functionName: string): Promise<Version | null>;
  /**
   * Every code sha256 something references: a function version's code or one of its layers, or a
   * layer version not deleted. What the code collector must keep.
   */
  referencedCode(): Promise<Set<string>>;
  /** Whether anything referencedCode() counts references this code sha256. */
  referencesCode(sha256: string): Promise<boolean>;
}

export function toVersion(row: typeof functionVersions.$inferSelect): Version {
  return {
    id: row.id,
    functionId: row.functionId,
    functionName: row.functionName,
    version: row.version,
    codeSha256: row.codeSha256,
    codeSize: row.codeSize,
    codeLocation: row.codeLocation,
    description: row.description,
    runtime: row.runtime,
    handler: row.handler,
    memorySize: row.memorySize,
    timeout: row.timeout,
    environment: row.environment,
    secrets: row.secrets,
    protocol: row.protocol,
    instanceConcurrency: row.instanceConcurrency,
    layers: row.layers,
    createdAt: row.createdAt,
  };
}

export function createVersionsRepository(db: Db): VersionsRepository {
  return {
    async publish(functionName, input) {
      return db.transaction(async (tx) => {
        // The UPDATE takes the function row's lock: a concurrent publish waits here, then sees
        // the incremented value (READ COMMITTED re-reads the row), so numbers never collide.
        // The snapshot comes from the same locked row, so it matches the version it is numbered as.
        const [fn] = await tx
          .update(functions)
          .set({ latestVersion: sql`${functions.latestVersion} + 1` })
          .where(eq(functions.name, functionName))
          .returning();
        if (!fn) return null;
        const [row] = await tx
          .insert(functionVersions)
          .values({
            functionId: fn.id,
            functionName: fn.name,
            version: fn.latestVersion,
            codeSha256: input.codeSha256,
            codeSize: input.codeSize,
            codeLocation: input.codeLocation,
            description: input.description ?? "",
            runtime: fn.runtime,
            handler: fn.handler,
            memorySize: fn.memorySize,
            timeout: fn.timeout,
            environment: input.environment ? { ...fn.environment, ...input.environment } : fn.environment,
            secrets: fn.secrets,
            protocol: fn.protocol,
            instanceConcurrency: fn.instanceConcurrency,
            layers: input.layers ?? [],
          })
          .returning();
        return toVersion(row);
      });
    },

    async list(functionName) {
      const rows = await db
        .select()
        .from(functionVersions)
        .where(eq(functionVersions.functionName, functionName))
        .orderBy(asc(functionVersions.version));
      return rows.map(toVersion);
    },

    async listAll() {
      const rows = await db.select().from(functionVersions).orderBy(asc(functionVersions.functionName), asc(functionVersions.version));
      return rows.map(toVersion);
    },

    async get(functionName, version) {
      const [row] = await db
        .select()
        .from(functionVersions)
        .where(and(eq(functionVersions.functionName, functionName), eq(functionVersions.version, version)));
      return row ? toVersion(row) : null;
    },

    async latest(functionName) {
      const [row] = await db
        .select()
        .from(functionVersions)
        .where(eq(functionVersions.functionName, functionName))
        .orderBy(desc(functionVersions.version))
        .limit(1);
      return row ? toVersion(row) : null;
    },

    async referencedCode() {
      const rows = await db.selectDistinct({ sha: functionVersions.codeSha256 }).from(functionVersions);
      const snapshots = await db.selectDistinct({ layers: functionVersions.layers }).from(functionVersions).where(sql`${functionVersions.layers} <> '[]'::jsonb`);
      const layerRows = await db.selectDistinct({ sha: layerVersions.codeSha256 }).from(layerVersions).where(isNull(layerVersions.deletedAt));
      return new Set([...rows.map((r) => r.sha), ...snapshots.flatMap((r) => r.layers.map((l) => l.codeSha256)), ...layerRows.map((r) => r.sha)]);
    },

    async referencesCode(sha256) {
      const rows = await db.select({ id: functionVersions.id }).from(functionVersions).where(eq(functionVersions.codeSha256, sha256)).limit(1);
      if (rows.length > 0) return true;
      const inSnapshot = await db
        .select({ id: functionVersions.id })
        .from(functionVersions)
        .where(sql`${functionVersions.layers} @> ${JSON.stringify([{ codeSha256: sha256 }])}::jsonb`)
        .limit(1);
      if (inSnapshot.length > 0) return true;
      const layerRows = await db
        .select({ id: layerVersions.id })
        .from(layerVersions)
        .where(and(eq(layerVersions.codeSha256, sha256), isNull(layerVersions.deletedAt)))
        .limit(1);
      return layerRows.length > 0;
    },
  };
}
