/**
 * Layers repository: Lambda-style layers and their immutable, numbered versions. Version numbers
 * come from layers.latest_version, incremented under the row lock (an upsert), so concurrent
 * publishes of one layer get 1, 2, 3… and a deleted version's number is never given again.
 * Deleting a version only marks it: function versions published with it keep their snapshot.
 */
import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { layers, layerVersions } from "../schema.ts";
import type { RuntimeId } from "../../../../protocol/runtimes.ts";

export interface LayerVersion {
  layerName: string;
  version: number;
  codeSha256: string;
  codeSize: number;
  unzippedSize: number;
  codeLocation: string;
  compatibleRuntimes: RuntimeId[];
  description: string;
  createdAt: Date;
}

export type PublishLayerInput = Omit<LayerVersion, "layerName" | "version" | "createdAt">;

export interface LayersRepository {
  /** Create the layer when it is new, allocate its next version number and store the version. */
  publish(layerName: string, input: PublishLayerInput): Promise<LayerVersion>;
  /**
   * A version not deleted, or null. `includeDeleted`: a deleted one too (a function configured
   * with it may still publish versions that run it, as in Lambda).
   */
  get(layerName: string, version: number, opts?: { includeDeleted?: boolean }): Promise<LayerVersion | null>;
  /** The layer's versions not deleted, newest first. */
  list(layerName: string): Promise<LayerVersion[]>;
  /** Every layer with a version not deleted, by name, each with its newest such version. */
  listLatest(): Promise<LayerVersion[]>;
  /** Mark a version deleted; false when there was no such version (or it was already deleted). */
  delete(layerName: string, version: number): Promise<boolean>;
}

function toLayerVersion(row: typeof layerVersions.$inferSelect): LayerVersion {
  return {
    layerName: row.layerName,
    version: row.version,
    codeSha256: row.codeSha256,
    codeSize: row.codeSize,
    unzippedSize: row.unzippedSize,
    codeLocation: row.codeLocation,
    compatibleRuntimes: row.compatibleRuntimes,
    description: row.description,
    createdAt: row.createdAt,
  };
}

const live = isNull(layerVersions.deletedAt);

export function createLayersRepository(db: Db): LayersRepository {
  return {
    async publish(layerName, input) {
      return db.transaction(async (tx) => {
        // The upsert takes the layer row's lock: a concurrent publish waits, then increments the new value.
        const [layer] = await tx
          .insert(layers)
          .values({ name: layerName, latestVersion: 1 })
          .onConflictDoUpdate({ target: layers.name, set: { latestVersion: sql`${layers.latestVersion} + 1` } })
          .returning();
        const [row] = await tx
          .insert(layerVersions)
          .values({
            layerId: layer.id,
            layerName,
            version: layer.latestVersion,
            codeSha256: input.codeSha256,
            codeSize: input.codeSize,
            unzippedSize: input.unzippedSize,
            codeLocation: input.codeLocation,
            compatibleRuntimes: input.compatibleRuntimes,
            description: input.description,
          })
          .returning();
        return toLayerVersion(row);
      });
    },

    async get(layerName, version, opts) {
      const [row] = await db
        .select()
        .from(layerVersions)
        .where(and(eq(layerVersions.layerName, layerName), eq(layerVersions.version, version), opts?.includeDeleted ? undefined : live));
      return row ? toLayerVersion(row) : null;
    },

    async list(layerName) {
      const rows = await db
        .select()
        .from(layerVersions)
        .where(and(eq(layerVersions.layerName, layerName), live))
        .orderBy(desc(layerVersions.version));
      return rows.map(toLayerVersion);
    },

    async listLatest() {
      const rows = await db
        .selectDistinctOn([layerVersions.layerName])
        .from(layerVersions)
        .where(live)
        .orderBy(asc(layerVersions.layerName), desc(layerVersions.version));
      return rows.map(toLayerVersion);
    },

    async delete(layerName, version) {
      const rows = await db
        .update(layerVersions)
        .set({ deletedAt: new Date() })
        .where(and(eq(layerVersions.layerName, layerName), eq(layerVersions.version, version), live))
        .returning({ id: layerVersions.id });
      return rows.length > 0;
    },
  };
}
