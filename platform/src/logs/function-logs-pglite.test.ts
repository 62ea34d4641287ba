/**
 * The function logs contract on embedded PGlite (in memory), and the embedded database's id
 * ranges: concurrent inserts get ids in call order, and a reopened database continues above every
 * id given before (the unused rest of a reserved range is skipped, never reused).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openDatabase } from "../db/database.ts";
import { createFunctionLogsRepository } from "../db/repositories/function-logs.ts";
import type { FunctionLogRow } from "../../../protocol/function-log-rows.ts";
import { runFunctionLogsContract } from "./function-logs.contract.ts";

runFunctionLogsContract("pglite (memory://)", async () => {
  const database = await openDatabase({ kind: "pglite", dir: "memory://" });
  return { database, cleanup: () => database.close() };
});

const row = (message: string): FunctionLogRow => ({ functionName: "fn", version: 1, requestId: "r", instanceId: "i", at: Date.now(), stream: "stdout", message });

test("pglite id ranges: concurrent inserts get ids in call order; a reopened database continues above them", async () => {
  const dir = await mkdtemp(join(tmpdir(), "hs-log-ids-"));
  try {
    let database = await openDatabase({ kind: "pglite", dir });
    let logs = createFunctionLogsRepository(database.db);
    const [a, b, c] = await Promise.all([logs.insert([row("a1"), row("a2")]), logs.insert([row("b1")]), logs.insert([row("c1"), row("c2"), row("c3")])]);
    const ids = [...a!, ...b!, ...c!].map((r) => r.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y), "ids follow the order of the calls");
    assert.equal(new Set(ids).size, 6);
    const stored = await logs.page({ functionName: "fn", limit: 10 });
    assert.deepEqual(stored.map((r) => [r.id, r.message]), [...a!, ...b!, ...c!].map((r) => [r.id, r.message]), "stored with the ids returned");
    await database.close();

    database = await openDatabase({ kind: "pglite", dir });
    logs = createFunctionLogsRepository(database.db);
    const [after] = await logs.insert([row("after restart")]);
    assert.ok(after!.id > Math.max(...ids), `an id after a restart (${after!.id}) is above every earlier one (${Math.max(...ids)})`);
    await database.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
