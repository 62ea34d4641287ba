/**
 * Shared pieces of the database contract suite (database.contract.ts, database-ops.contract.ts)
 * and the adapter test files: the context type, unique names, function and version inputs, and
 * migration bookkeeping reads.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { count } from "drizzle-orm";
import { pgSchema, serial } from "drizzle-orm/pg-core";
import { MIGRATIONS_FOLDER, openDatabase, type Database } from "./database.ts";
import { createTestDatabase } from "../../../tests/support/services.ts";
import type { CreateFunctionInput, PublishInput, Repositories } from "./repositories/index.ts";

export interface OpenedDatabase {
  database: Database;
  cleanup(): Promise<void>;
}

/** A fresh, migrated database on the test Postgres server, dropped by cleanup. */
export async function openTestPostgres(): Promise<OpenedDatabase> {
  const testDb = await createTestDatabase();
  const database = await openDatabase({ kind: "postgres", url: testDb.url });
  return {
    database,
    async cleanup() {
      await database.close();
      await testDb.drop();
    },
  };
}

/** What each part of the suite works with; filled in by the suite's `before`. */
export interface ContractContext {
  database: Database;
  repos: Repositories;
  open: () => Promise<OpenedDatabase>;
}

/** A name no other test uses, valid as a function or alias name. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export function functionInput(name: string, overrides: Partial<CreateFunctionInput> = {}): CreateFunctionInput {
  return { name, runtime: "nodejs20", handler: "index.handler", memorySize: 128, timeout: 3, ...overrides };
}

/** A code package to publish as a version: sha256 "aaa…", 1 byte, at "x"; the repository checks none of them. */
export function publishInput(overrides: Partial<PublishInput> = {}): PublishInput {
  return { codeSha256: "a".repeat(64), codeSize: 1, codeLocation: "x", ...overrides };
}

// drizzle's own bookkeeping table; declared here, outside schema.ts, so drizzle-kit never manages it.
const drizzleMigrations = pgSchema("drizzle").table("__drizzle_migrations", { id: serial("id").primaryKey() });

/** How many migrations the database has recorded as applied. */
export async function migrationsApplied(database: Database): Promise<number> {
  const [row] = await database.db.select({ n: count() }).from(drizzleMigrations);
  return Number(row.n);
}

/** How many migrations are committed in platform/migrations. */
export async function migrationCount(): Promise<number> {
  const text = await readFile(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8");
  const journal = JSON.parse(text) as { entries: unknown[] };
  return journal.entries.length;
}
