/**
 * Runs the database contract on embedded PGlite (in memory), and checks that a file-backed
 * PGlite directory survives a reopen with its data, without re-applying migrations.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count } from "drizzle-orm";
import { openDatabase, type Database } from "./database.ts";
import { runDatabaseContract } from "./database.contract.ts";
import { functionInput, migrationCount, migrationsApplied, publishInput, uniqueName } from "./contract-support.ts";
import { createRepositories } from "./repositories/index.ts";
import { functions } from "./schema.ts";

runDatabaseContract("pglite (memory://)", async () => {
  const database = await openDatabase({ kind: "pglite", dir: "memory://" });
  return { database, cleanup: () => database.close() };
});

describe("pglite file-backed directory", () => {
  let root: string;
  let database: Database | undefined;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "hs-pglite-"));
  });
  after(async () => {
    await database?.close();
    await rm(root, { recursive: true, force: true });
  });

  test("creates the directory, and a reopen keeps the data without re-applying migrations", async () => {
    const dir = join(root, "nested", "pglite");
    const name = uniqueName("fn");

    database = await openDatabase({ kind: "pglite", dir });
    assert.equal(database.kind, "pglite");
    const first = createRepositories(database.db);
    await first.functions.create(functionInput(name, { environment: { KEEP: "me" } }));
    await first.versions.publish(name, publishInput());
    assert.equal(await migrationsApplied(database), await migrationCount());
    await database.close();

    database = await openDatabase({ kind: "pglite", dir });
    const repos = createRepositories(database.db);
    assert.deepEqual((await repos.functions.get(name))?.environment, { KEEP: "me" });
    assert.equal((await repos.versions.latest(name))?.version, 1);
    assert.equal(await migrationsApplied(database), await migrationCount(), "migrations were applied again");
    const [fns] = await database.db.select({ n: count() }).from(functions);
    assert.equal(Number(fns.n), 1);
  });
});
