/** The function logs contract on embedded PGlite (in memory). */
import { openDatabase } from "../db/database.ts";
import { runFunctionLogsContract } from "./function-logs.contract.ts";

runFunctionLogsContract("pglite (memory://)", async () => {
  const database = await openDatabase({ kind: "pglite", dir: "memory://" });
  return { database, cleanup: () => database.close() };
});
