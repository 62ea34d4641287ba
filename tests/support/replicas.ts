/**
 * Several `hotswap server` replicas of one cluster: one Postgres database and one Redis (under a
 * prefix of their own), each with its own data dir, started one after the other (they apply the
 * same migrations to the one database). Used by the tests of what replicas share through Redis.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer, stopAll, waitForOutput, type ServerProcess } from "./cli.ts";
import { createTestDatabase, TEST_REDIS_URL, uniquePrefix } from "./services.ts";

export interface Replicas {
  /** Each replica's base URL, in start order. */
  urls: string[];
  /** The environment every replica got, less its data dir: what an offline command run beside them needs. */
  env: Record<string, string>;
  /** A data dir of the cluster's (the first replica's). */
  dataDir: string;
  /** Kill the replicas, remove their data dirs and drop the database. */
  stop(): Promise<void>;
}

/** Start `count` replicas named by `label` with `env` on top of the shared database and Redis. Needs Postgres and Redis. */
export async function startReplicas(label: string, count: number, env: Record<string, string>): Promise<Replicas> {
  const db = await createTestDatabase();
  const shared = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, HOTSWAP_REDIS_PREFIX: uniquePrefix(label), HOTSWAP_SECRET_KEY: "k".repeat(40), PORT: "0", ...env };
  const servers: ServerProcess[] = [];
  const dirs: string[] = [];
  const urls: string[] = [];
  const stop = async () => {
    await stopAll(servers);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
    await db.drop();
  };
  try {
    for (let i = 0; i < count; i++) {
      const dir = await mkdtemp(join(tmpdir(), `hs-${label}-${i}-`));
      dirs.push(dir);
      const server = spawnServer({ ...shared, HOTSWAP_DATA_DIR: dir });
      servers.push(server);
      urls.push((await waitForOutput(server, /serving on (http:\/\/\S+)/, 90_000))[1]!);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { urls, env: shared, dataDir: dirs[0]!, stop };
}
