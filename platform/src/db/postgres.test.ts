/**
 * Runs the database contract on a real Postgres server (a fresh database per run), and checks
 * that replicas opening the same database at once, or again later, migrate it exactly once.
 * Needs Postgres at TEST_DATABASE_URL (default 127.0.0.1:5432); skipped with the reason when it
 * is down, and a failure under CI=true.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  createTestDatabase,
  serviceSkipReason,
  TEST_DATABASE_URL,
  type TestDatabase,
} from "../../../tests/support/services.ts";
import { openDatabase } from "./database.ts";
import { runDatabaseContract } from "./database.contract.ts";
import { functionInput, migrationCount, migrationsApplied, openTestPostgres, uniqueName } from "./contract-support.ts";
import { createRepositories } from "./repositories/index.ts";

const skipReason = await serviceSkipReason("postgres", TEST_DATABASE_URL);

if (skipReason) {
  test("database contract: postgres", { skip: skipReason }, () => {});
} else {
  runDatabaseContract("postgres", openTestPostgres);

  describe("postgres migrations across replicas", () => {
    let testDb: TestDatabase;
    before(async () => {
      testDb = await createTestDatabase();
    });
    after(async () => {
      await testDb?.drop();
    });

    test("three replicas opening at once migrate once (advisory lock), and a later open applies nothing", async () => {
      const replicas = await Promise.all([1, 2, 3].map(() => openDatabase({ kind: "postgres", url: testDb.url })));
      try {
        assert.equal(await migrationsApplied(replicas[0]), await migrationCount());
        const name = uniqueName("fn");
        await createRepositories(replicas[1].db).functions.create(functionInput(name));
        assert.equal((await createRepositories(replicas[2].db).functions.get(name))?.name, name);
      } finally {
        await Promise.all(replicas.map((r) => r.close()));
      }

      const again = await openDatabase({ kind: "postgres", url: testDb.url });
      try {
        assert.equal(again.kind, "postgres");
        await again.ping();
        assert.equal(await migrationsApplied(again), await migrationCount(), "migrations were applied again");
        assert.equal((await createRepositories(again.db).functions.list()).length, 1);
      } finally {
        await again.close();
      }
    });

    test("opening an unreachable server fails with a message naming it, without the password", async () => {
      await assert.rejects(
        openDatabase({ kind: "postgres", url: "postgres://postgres:s3cret@127.0.0.1:1/nowhere" }),
        (e: Error) => {
          assert.match(e.message, /cannot open Postgres at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/nowhere/);
          assert.doesNotMatch(e.message, /s3cret/);
          return true;
        },
      );
    });
  });
}
