/**
 * API keys repository: key records for authentication. The secret is stored twice: hashed (to
 * check bearer secrets) and encrypted (SigV4 needs the secret itself). Hashing and encryption
 * belong to the auth module; this repository only stores the results and never lists them.
 */
import { and, asc, count, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { translateUnique } from "../errors.ts";
import { apiKeys } from "../schema.ts";

export interface ApiKey {
  id: string;
  name: string;
  secretHash: string;
  secretEnc: string;
  role: string;
  /** May approve deployments to protected aliases (with a role that may write deployments). */
  canApprove: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  /** The key's own request rate limit ({rps, burst}); null: the server default. */
  rateLimit?: { rps: number; burst: number } | null;
}

/** An API key without its secret material, as listed. */
export type ApiKeySummary = Omit<ApiKey, "secretHash" | "secretEnc">;

export interface InsertApiKeyInput {
  id: string;
  name: string;
  secretHash: string;
  secretEnc: string;
  /** Default "admin". */
  role?: string;
  /** Default false. */
  canApprove?: boolean;
}

export interface ApiKeysRepository {
  /** Throws DuplicateError when the id exists. */
  insert(input: InsertApiKeyInput): Promise<ApiKey>;
  /** The key with its secret material (for verification), revoked or not. */
  get(id: string): Promise<ApiKey | null>;
  /** All keys, oldest first, without secret material. */
  list(): Promise<ApiKeySummary[]>;
  /** Every key ever inserted, revoked ones included; zero means the bootstrap key is still due. */
  count(): Promise<number>;
  /** Marks the key revoked; false when it does not exist or was already revoked. */
  revoke(id: string): Promise<boolean>;
  /** Records that the key was just used. */
  touch(id: string): Promise<void>;
}

function toApiKey(row: typeof apiKeys.$inferSelect): ApiKey {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secretHash,
    secretEnc: row.secretEnc,
    role: row.role,
    canApprove: row.canApprove,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
    rateLimit: (row.rateLimit as ApiKey["rateLimit"]) ?? null,
  };
}

// Selected explicitly so the secret columns are never even read for a listing.
const summaryColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  role: apiKeys.role,
  canApprove: apiKeys.canApprove,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
};

export function createApiKeysRepository(db: Db): ApiKeysRepository {
  return {
    async insert(input) {
      const [row] = await translateUnique(`api key "${input.id}"`, () =>
        db
          .insert(apiKeys)
          .values({
            id: input.id,
            name: input.name,
            secretHash: input.secretHash,
            secretEnc: input.secretEnc,
            ...(input.role !== undefined && { role: input.role }),
            ...(input.canApprove !== undefined && { canApprove: input.canApprove }),
          })
          .returning(),
      );
      return toApiKey(row);
    },

    async get(id) {
      const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
      return row ? toApiKey(row) : null;
    },

    async list() {
      const rows = await db.select(summaryColumns).from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
      return rows.map((r) => ({ ...r }));
    },

    async count() {
      const [row] = await db.select({ n: count() }).from(apiKeys);
      return Number(row?.n ?? 0);
    },

    async revoke(id) {
      const rows = await db
        .update(apiKeys)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id });
      return rows.length > 0;
    },

    async touch(id) {
      await db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, id));
    },
  };
}
