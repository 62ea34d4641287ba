/**
 * More principals than the admin key for a platform on the real servers (Postgres): API keys of
 * any role, optionally flagged canApprove, inserted straight into its database (the keys API is
 * another part's; Bearer keys need only the hash, so `secretEnc` is a placeholder and these keys
 * do not sign SigV4).
 */
import { generateApiKey, hashSecret } from "../../platform/src/auth/api-key.ts";
import { createRepositories, openDatabase, type Database, type Repositories } from "../../platform/src/db/index.ts";
import type { TestPlatform } from "./platform.ts";

export interface PlatformKeys {
  repos: Repositories;
  /** Insert a key and return its `hs_<id>_<secret>` token; its audit subject is `key:<id>`. */
  add(name: string, role: string, opts?: { canApprove?: boolean }): Promise<{ key: string; subject: string }>;
  close(): Promise<void>;
}

/** Opens the database of a platform started in "servers" mode. */
export async function platformKeys(p: TestPlatform): Promise<PlatformKeys> {
  const url = p.env?.DATABASE_URL;
  if (!url) throw new Error("platformKeys needs a platform on Postgres (startPlatform(\"servers\"))");
  const database: Database = await openDatabase({ kind: "postgres", url });
  const repos = createRepositories(database.db);
  return {
    repos,
    async add(name, role, opts = {}) {
      const k = generateApiKey();
      await repos.apiKeys.insert({ id: k.id, name, secretHash: hashSecret(k.secret), secretEnc: "unused-for-bearer", role, canApprove: opts.canApprove ?? false });
      return { key: k.key, subject: `key:${k.id}` };
    },
    close: () => database.close(),
  };
}
