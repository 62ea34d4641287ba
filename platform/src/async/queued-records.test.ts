/**
 * Group commit of Queued records on PGlite: concurrent creates share inserts, and each caller
 * still learns whether its request id was new (a repeat, in the same batch or later, is not).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createRepositories, openDatabase, type Database, type Repositories } from "../db/index.ts";
import { QueuedRecords } from "./queued-records.ts";

let database: Database;
let repos: Repositories;
before(async () => {
  database = await openDatabase({ kind: "pglite", dir: "memory://" });
  repos = createRepositories(database.db);
});
after(async () => {
  await database.close();
});

const input = (requestId: string) => ({ requestId, functionName: "fn", source: "async", createdAt: new Date() });

test("concurrent creates are written in fewer inserts than records, and each learns whether it was new", async () => {
  const sizes: number[] = [];
  const records = new QueuedRecords({ createQueuedMany: (inputs) => (sizes.push(inputs.length), repos.invocations.createQueuedMany(inputs)) });
  assert.equal(await records.create(input("old")), true);
  const ids = [...Array.from({ length: 40 }, (_, i) => `r${i}`), "r3", "old"];
  const answers = await Promise.all(ids.map((id) => records.create(input(id))));
  assert.deepEqual(answers, [...Array.from({ length: 40 }, () => true), false, false]);
  assert.ok(sizes.length < ids.length, `inserts: ${sizes.join(",")}`);
  for (const id of ids) assert.equal((await repos.invocations.get(id))?.status, "Queued");
  assert.equal(await records.create(input("r7")), false);
});

test("a failed insert rejects every caller of its batch; the next batch is written", async () => {
  let fail = true;
  const records = new QueuedRecords({
    createQueuedMany: async (inputs) => {
      if (fail) {
        fail = false;
        throw new Error("database down");
      }
      return repos.invocations.createQueuedMany(inputs);
    },
  });
  await assert.rejects(records.create(input("f1")), /database down/);
  assert.equal(await records.create(input("f2")), true);
});
