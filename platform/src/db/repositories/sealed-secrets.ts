/**
 * Every value sealed under the server's keyring, wherever it is stored (functions.secrets,
 * function_versions.secrets, api_keys.secret_enc), for the re-seal sweep of a key rotation. Writes
 * are compare-and-set: a value changed since it was read (a concurrent update seals under the
 * current key itself) is left alone rather than overwritten.
 */
import { and, eq, ne, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
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

/** The jsonb column still holds exactly `value`. */
function sameJson(column: AnyPgColumn, value: Record<string, string>): SQL {
  return sql`${column} = ${JSON.stringify(value)}::jsonb`;
}

/** True when the compare-and-set update touched its row. */
async function changed(rows: Promise<unknown[]>): Promise<boolean> {
  return (await rows).length > 0;
}

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
      return changed(db.update(functions).set({ secrets }).where(and(eq(functions.name, name), sameJson(functions.secrets, expected))).returning({ id: functions.id }));
    },

    async replaceVersion(id, expected, secrets) {
      return changed(db.update(functionVersions).set({ secrets }).where(and(eq(functionVersions.id, id), sameJson(functionVersions.secrets, expected))).returning({ id: functionVersions.id }));
    },

    async replaceApiKey(id, expected, secretEnc) {
      return changed(db.update(apiKeys).set({ secretEnc }).where(and(eq(apiKeys.id, id), eq(apiKeys.secretEnc, expected))).returning({ id: apiKeys.id }));
    },
  };
}
