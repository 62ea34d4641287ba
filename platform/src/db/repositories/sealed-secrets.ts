/**
 * Every value sealed under the server's keyring, wherever it is stored (functions.secrets,
 * function_versions.secrets, api_keys.secret_enc), for the re-seal sweep of a key rotation. Writes
 * are compare-and-set: a value changed since it was read (a concurrent update seals under the
 * current key itself) is left alone rather than overwritten.
 */
import { and, eq, ne, sql } from "drizzle-orm";
import type { Db } from "../database.ts";
import { apiKeys, functions, functionVersions } from "../schema.ts";

export interface SealedFunctionSecrets {
  name: string;
  secrets: Record<string, string>;
}

export interface SealedVersionSecrets {
  id: string;
  functionName: string;
  secrets: Record<string, string>;
}

export interface SealedApiKeySecret {
  id: string;
  secretEnc: string;
}

export interface SealedSecretsRepository {
  /** Functions with at least one secret. */
  functions(): Promise<SealedFunctionSecrets[]>;
  /** Versions with at least one secret. */
  versions(): Promise<SealedVersionSecrets[]>;
  /** Every API key's sealed secret, revoked keys included (a revoked key keeps its record). */
  apiKeys(): Promise<SealedApiKeySecret[]>;
  /** Replace a function's secrets when they still equal `expected`; false when they changed meanwhile. */
  replaceFunction(name: string, expected: Record<string, string>, secrets: Record<string, string>): Promise<boolean>;
  replaceVersion(id: string, expected: Record<string, string>, secrets: Record<string, string>): Promise<boolean>;
  replaceApiKey(id: string, expected: string, secretEnc: string): Promise<boolean>;
}

const EMPTY = sql`'{}'::jsonb`;

export function createSealedSecretsRepository(db: Db): SealedSecretsRepository {
  return {
    async functions() {
      return db.select({ name: functions.name, secrets: functions.secrets }).from(functions).where(ne(functions.secrets, EMPTY));
    },

    async versions() {
      return db
        .select({ id: functionVersions.id, functionName: functionVersions.functionName, secrets: functionVersions.secrets })
        .from(functionVersions)
        .where(ne(functionVersions.secrets, EMPTY));
    },

    async apiKeys() {
      return db.select({ id: apiKeys.id, secretEnc: apiKeys.secretEnc }).from(apiKeys);
    },

    async replaceFunction(name, expected, secrets) {
      const rows = await db
        .update(functions)
        .set({ secrets })
        .where(and(eq(functions.name, name), sql`${functions.secrets} = ${JSON.stringify(expected)}::jsonb`))
        .returning({ name: functions.name });
      return rows.length > 0;
    },

    async replaceVersion(id, expected, secrets) {
      const rows = await db
        .update(functionVersions)
        .set({ secrets })
        .where(and(eq(functionVersions.id, id), sql`${functionVersions.secrets} = ${JSON.stringify(expected)}::jsonb`))
        .returning({ id: functionVersions.id });
      return rows.length > 0;
    },

    async replaceApiKey(id, expected, secretEnc) {
      const rows = await db
        .update(apiKeys)
        .set({ secretEnc })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.secretEnc, expected)))
        .returning({ id: apiKeys.id });
      return rows.length > 0;
    },
  };
}
