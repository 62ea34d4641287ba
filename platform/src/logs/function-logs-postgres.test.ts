/**
 * The function logs contract on a real Postgres server (a fresh database per run). Skipped with
 * the reason when Postgres is down, and a failure under CI=true.
 */
import { test } from "node:test";
import { serviceSkipReason, TEST_DATABASE_URL } from "../../../tests/support/services.ts";
import { openTestPostgres } from "../db/contract-support.ts";
import { runFunctionLogsContract } from "./function-logs.contract.ts";

const skipReason = await serviceSkipReason("postgres", TEST_DATABASE_URL);

if (skipReason) test("function logs contract: postgres", { skip: skipReason }, () => {});
else runFunctionLogsContract("postgres", openTestPostgres);
