/**
 * Two control planes sharing one Postgres database, one Redis (under a unique key prefix) and one
 * S3 bucket, each hosting its own embedded runner: what a leader change needs to be tested on.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { loadServerSettings } from "../../cli/server-settings.ts";
import { embeddedRunner } from "../../cli/embedded-runner.ts";
import { generateApiKey } from "../../platform/src/auth/api-key.ts";
import { openDatabase, createRepositories, type Database, type Db, type Repositories } from "../../platform/src/db/index.ts";
import { startServer } from "../../platform/src/server.ts";
import { createLogger } from "../../shared/logger.ts";
import { apiClient, type TestPlatform } from "../support/platform.ts";
import { createTestDatabase, startS3Server, sharedServersEnv, uniquePrefix } from "../support/services.ts";

export interface Replicas {
  /** The replicas started so far, in order; a closed one stays in the list. */
  planes: TestPlatform[];
  /** Start another replica on the shared stores. */
  add(): Promise<TestPlatform>;
  /** Repositories on the shared database (the test's own connection). */
  repos: Repositories;
  /** The shared database itself, for writes no repository offers. */
  db: Db;
  close(): Promise<void>;
}

export async function startReplicas(env: Record<string, string>): Promise<Replicas> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const s3 = await startS3Server();
  cleanups.push(() => s3.close());
  const { key } = generateApiKey();
  const prefix = uniquePrefix("async");
  const planes: TestPlatform[] = [];
  let database: Database | undefined;
  const add = async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "hs-async-replica-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const { control, runner } = loadServerSettings(
      {
        ...sharedServersEnv({ dataDir, adminKey: key, databaseUrl: db.url, redisPrefix: prefix, s3 }),
        ...env,
      },
      { hostname: hostname() },
    );
    const log = createLogger(control.logLevel);
    const server = await startServer(control, log, embeddedRunner(runner, log));
    let closed: Promise<void> | undefined;
    const plane: TestPlatform = { url: server.url, key, server, api: apiClient(server.url, key), close: () => (closed ??= server.close()) };
    planes.push(plane);
    database ??= await openDatabase({ kind: "postgres", url: db.url });
    return plane;
  };
  await add();
  return {
    planes,
    add,
    get repos() {
      return createRepositories(database!.db);
    },
    get db() {
      return database!.db;
    },
    async close() {
      for (const p of [...planes].reverse()) await p.close().catch(() => {});
      await database?.close();
      for (const c of cleanups.reverse()) await c().catch(() => {});
    },
  };
}
