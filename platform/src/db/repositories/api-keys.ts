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
  /** Function-name patterns the key is limited to; null: every function. */
  functions: string[] | null;
  canApprove: boolean;
  /** `{ rps, burst }`; null: the server default. */
  rateLimit: { rps: number; burst: number } | null;
  /** The principal that created the key (`key:<id>`, `jwt:<sub>`); null for bootstrap keys. */
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
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
  functions?: string[] | null;
  canApprove?: boolean;
  rateLimit?: { rps: number; burst: number } | null;
  createdBy?: string | null;
  expiresAt?: Date | null;
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
  /** Replaces the secret of an active key; false when it does not exist or is revoked. */
  rotate(id: string, secret: { secretHash: string; secretEnc: string }): Promise<boolean>;
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
    functions: row.functions ?? null,
    canApprove: row.canApprove,
    rateLimit: (row.rateLimit as ApiKey["rateLimit"]) ?? null,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

// Selected explicitly so the secret columns are never even read for a listing.
const summaryColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  role: apiKeys.role,
  functions: apiKeys.functions,
  canApprove: apiKeys.canApprove,
  rateLimit: apiKeys.rateLimit,
  createdBy: apiKeys.createdBy,
  expiresAt: apiKeys.expiresAt,
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
            functions: input.functions ?? null,
            canApprove: input.canApprove ?? false,
            rateLimit: input.rateLimit ?? null,
            createdBy: input.createdBy ?? null,
            expiresAt: input.expiresAt ?? null,
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
      return rows.map((r) => ({ ...r, functions: r.functions ?? null, rateLimit: (r.rateLimit as ApiKey["rateLimit"]) ?? null }));
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

    async rotate(id, secret) {
      const rows = await db
        .update(apiKeys)
        .set({ secretHash: secret.secretHash, secretEnc: secret.secretEnc })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id });
      return rows.length > 0;
    },

    async touch(id) {
      await db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, id));
    },
  };
}
