/**
 * The function logs contract on a real Postgres server (a fresh database per run). Skipped with
 * the reason when Postgres is down, and a failure under CI=true.
 */
import { test } from "node:test";
import { createTestDatabase, serviceSkipReason, TEST_DATABASE_URL } from "../../../tests/support/services.ts";
import { openDatabase } from "../db/database.ts";
import { runFunctionLogsContract } from "./function-logs.contract.ts";

const skipReason = await serviceSkipReason("postgres", TEST_DATABASE_URL);

if (skipReason) {
  test("function logs contract: postgres", { skip: skipReason }, () => {});
} else {
  runFunctionLogsContract("postgres", async () => {
    const testDb = await createTestDatabase();
    const database = await openDatabase({ kind: "postgres", url: testDb.url });
    return {
      database,
      async cleanup() {
        await database.close();
        await testDb.drop();
      },
    };
  });
}
