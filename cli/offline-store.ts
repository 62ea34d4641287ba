/**
 * What the offline commands (`hotswap admin reset-key`, `hotswap secrets rotate-key`) work on: the
 * server's database (DATABASE_URL, else the embedded one in the data dir) and its data dir, read
 * from the same configuration as `hotswap server`. The embedded database is one process's: stop
 * the server before running them on it.
 */
import { resolve } from "node:path";
import { loadConfig, type Config } from "../platform/src/config.ts";
import { createRepositories, openDatabase, type Database, type Repositories } from "../platform/src/db/index.ts";

export interface OfflineStore {
  config: Config;
  dataDir: string;
  repos: Repositories;
  database: Database;
  close(): Promise<void>;
}

/** Open the configured database. Throws ConfigError on invalid configuration. */
export async function openOfflineStore(env: Record<string, string | undefined>): Promise<OfflineStore> {
  const config = loadConfig(env);
  const database = await openDatabase(config.database.kind === "pglite" ? { kind: "pglite", dir: resolve(config.database.dir) } : config.database);
  return { config, dataDir: resolve(config.dataDir), repos: createRepositories(database.db), database, close: () => database.close() };
}

/** Run `f` on the store, closing it after; a ConfigError or failure becomes a message and exit code 1. */
export async function withOfflineStore(command: string, env: Record<string, string | undefined>, f: (store: OfflineStore) => Promise<void>): Promise<number> {
  let store: OfflineStore;
  try {
    store = await openOfflineStore(env);
  } catch (e) {
    process.stderr.write(`hotswap ${command}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    await f(store);
    return 0;
  } catch (e) {
    process.stderr.write(`hotswap ${command}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}
