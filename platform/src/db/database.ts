/**
 * Database port: opens Postgres (postgres.js) or embedded PGlite behind one drizzle type, and
 * brings the schema up to date by applying the committed migrations at open.
 * Both adapters pass database.contract.ts.
 */
import { existsSync } from "node:fs";
import { chmod, lstat, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import * as schema from "./schema.ts";
import { loadTemplate, templatePath } from "./pglite-template.ts";

/** One query-builder type for both drivers, so repositories are written once. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseConfig =
  | { kind: "postgres"; url: string }
  /** `dir: "memory://"` keeps everything in memory; any other value is a directory, created if missing. */
  | { kind: "pglite"; dir: string };

export interface Database {
  readonly kind: "postgres" | "pglite";
  readonly db: Db;
  /** Runs `select 1`; throws when the database is unreachable. */
  ping(): Promise<void>;
  /** Closes the pool (postgres) or the embedded instance (pglite). Idempotent. */
  close(): Promise<void>;
}

/** Resolved from this module, not the cwd, so the CLI works from any directory. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../migrations", import.meta.url));

/**
 * An arbitrary, fixed advisory-lock key: every replica migrating the same database contends on it,
 * so only one applies migrations while the others wait and then find nothing left to do.
 */
const MIGRATION_LOCK_KEY = 7_302_114_911;

const POOL_SIZE = 10;

/** Open the database and apply pending migrations. */
export async function openDatabase(cfg: DatabaseConfig): Promise<Database> {
  return cfg.kind === "postgres" ? openPostgres(cfg.url) : openPglite(cfg.dir);
}

async function openPostgres(url: string): Promise<Database> {
  const { default: postgres } = await import("postgres");
  const { drizzle } = await import("drizzle-orm/postgres-js");
  const { migrate } = await import("drizzle-orm/postgres-js/migrator");

  // A dedicated single-connection client: an advisory lock belongs to one session, so taking it,
  // migrating under it and releasing it must all happen on the same connection.
  const lockClient = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await lockClient`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migrate(drizzle({ client: lockClient }), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await lockClient`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
    }
  } catch (e) {
    throw new Error(`database: cannot open Postgres at ${redact(url)}: ${(e as Error).message}`, { cause: e });
  } finally {
    await lockClient.end({ timeout: 5 });
  }

  const client = postgres(url, { max: POOL_SIZE, onnotice: () => {} });
  const db: Db = drizzle({ client, schema });
  let closed = false;
  return {
    kind: "postgres",
    db,
    ping: () => pingDb(db),
    async close() {
      if (closed) return;
      closed = true;
      await client.end({ timeout: 5 });
    },
  };
}

async function openPglite(dir: string): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");

  const inMemory = dir === "memory://";
  if (!inMemory) await mkdir(dir, { recursive: true });
  const fresh = inMemory || !existsSync(join(dir, "PG_VERSION"));
  const template = fresh ? await loadTemplate() : undefined;
  let client: InstanceType<typeof PGlite> | undefined;
  if (template) {
    try {
      client = inMemory ? await PGlite.create({ loadDataDir: template }) : await PGlite.create(dir, { loadDataDir: template });
    } catch (e) {
      // A template that does not restore: initdb instead, unless it left a half-restored directory.
      if (!inMemory && existsSync(join(dir, "PG_VERSION"))) {
        throw new Error(`database: restoring the PGlite template ${templatePath()} into ${dir} failed (${(e as Error).message}); delete both and start again`, { cause: e });
      }
    }
  }
  client ??= inMemory ? new PGlite() : new PGlite(dir);
  const pglite = drizzle({ client, schema });
  try {
    await migrate(pglite, { migrationsFolder: MIGRATIONS_FOLDER });
  } catch (e) {
    await client.close().catch(() => {});
    throw new Error(`database: cannot open PGlite at ${dir}: ${(e as Error).message}`, { cause: e });
  }
  if (!inMemory) await keepPrivate(dir);
  const db: Db = pglite;
  return {
    kind: "pglite",
    db,
    ping: () => pingDb(db),
    async close() {
      if (!client.closed) await client.close();
    },
  };
}

/**
 * Take group and other permission bits off every file and directory below `dir`. PGlite writes the
 * files it restores from its template with mode 0666 whatever the umask (and an older version's
 * data dir may hold such files); the 0700 data dir already closes them, this keeps them closed
 * should the directory ever be opened up.
 */
async function keepPrivate(dir: string): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isSymbolicLink()) continue;
    const { mode } = await lstat(p);
    if ((mode & 0o077) !== 0) await chmod(p, mode & 0o7700);
    if (e.isDirectory()) await keepPrivate(p);
  }
}

async function pingDb(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}

/** The URL without its password, for error messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<invalid url>";
  }
}
