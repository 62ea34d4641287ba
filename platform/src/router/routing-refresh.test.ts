/**
 * The routing table's periodic refresh against a real database (embedded PGlite): it repairs what
 * lost change messages left stale (an alias moved, a function created, configured or deleted
 * behind its back), and with nothing changed it asks only for the catalog's digest.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createRepositories, openDatabase, type Database, type Repositories } from "../db/index.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import { functionInput } from "../db/contract-support.ts";
import { RoutingTable } from "./routing-table.ts";

let database: Database;
let repos: Repositories;
let perFunctionReads = 0;

const code = (n: number) => ({ codeSha256: String(n).repeat(64).slice(0, 64), codeSize: n, codeLocation: `file:///${n}` });
const create = (name: string) => repos.functions.create(functionInput(name, { memorySize: 128 }));

before(async () => {
  database = await openDatabase({ kind: "pglite", dir: "memory://" });
  const real = createRepositories(database.db);
  // Counts the per-function digest reads; every read still goes to the database.
  repos = {
    ...real,
    catalogDigests: {
      catalog: () => real.catalogDigests.catalog(),
      perFunction: () => (perFunctionReads++, real.catalogDigests.perFunction()),
    },
  };
  for (const name of ["a", "b"]) {
    await create(name);
    await repos.versions.publish(name, code(1));
    await repos.versions.publish(name, code(2));
    await repos.aliases.upsert(name, "live", { version: 2 });
  }
});
after(() => database.close());

test("refresh with nothing changed reads only the catalog digest; changes made behind its back are repaired", async () => {
  const table = new RoutingTable(repos, new MemoryStateStore(), {});
  await table.refreshAll();
  assert.equal(table.resolve("a", "live").spec.version, 2);

  const before = perFunctionReads;
  await table.refresh();
  await table.refresh();
  assert.equal(perFunctionReads, before, "nothing changed: no per-function digests read");

  // Straight to the database, as a replica whose change message was lost would leave it.
  await repos.aliases.upsert("a", "live", { version: 1 });
  await create("c");
  await repos.versions.publish("c", code(3));
  await repos.functions.update("b", { memorySize: 512 });
  await table.refresh();
  assert.equal(perFunctionReads, before + 1);
  assert.equal(table.resolve("a", "live").spec.version, 1, "the alias move is picked up");
  assert.equal(table.resolve("c").spec.version, 1, "the new function is routable");
  assert.equal(table.resolve("b", "1").spec.memorySize, 128, "published versions keep their snapshot");
  assert.equal(table.spec("b", 2)?.memorySize, 128);

  await repos.versions.publish("b", code(4));
  await repos.eventInvokeConfigs.put("b", { maximumRetryAttempts: 0 } as never);
  await repos.functions.delete("c");
  await table.refresh();
  assert.equal(table.resolve("b", "$LATEST").spec.version, 3, "a publish is picked up");
  assert.equal(table.resolve("b", "$LATEST").spec.memorySize, 512, "with the configuration it was published with");
  assert.equal(table.has("c"), false, "the deleted function is gone");

  const settled = perFunctionReads;
  await table.refresh();
  assert.equal(perFunctionReads, settled, "after a repair the digests agree again");
});

test("the catalog digest moves with an event-invoke config change alone", async () => {
  const d0 = await repos.catalogDigests.catalog();
  await repos.eventInvokeConfigs.put("a", { maximumRetryAttempts: 1 } as never);
  const d1 = await repos.catalogDigests.catalog();
  assert.notEqual(d1, d0);
  assert.equal(await repos.catalogDigests.catalog(), d1, "and stays put while nothing changes");
});

test("a name, version or alias made on another replica a moment ago is read on the miss, at most once a second per name", async () => {
  const table = new RoutingTable(repos, new MemoryStateStore(), {});
  await table.refreshAll();
  // Written straight to the database, as another replica does before its change message arrives.
  await create("fresh");
  await repos.versions.publish("fresh", code(5));
  await repos.versions.publish("a", code(6));
  await repos.aliases.upsert("b", "beta", { version: 1 });
  for (const [name, qualifier, code] of [["fresh", undefined, "FunctionNotFound"], ["a", "3", "VersionNotFound"], ["b", "beta", "AliasNotFound"]] as const) {
    assert.throws(() => table.resolve(name, qualifier), { code });
    assert.equal(await table.reloadOnMiss(name), true);
    assert.equal(table.resolve(name, qualifier).spec.functionName, name);
  }
  // A name that really does not exist: one read, then refused without a read for a second.
  let reads = 0;
  const counted = new RoutingTable({ ...repos, functions: { ...repos.functions, get: (n: string) => (reads++, repos.functions.get(n)) } } as Repositories, new MemoryStateStore(), {});
  await counted.refreshAll();
  assert.equal(await counted.reloadOnMiss("nope"), true);
  assert.equal(await counted.reloadOnMiss("nope"), false);
  assert.equal(reads, 1);
  assert.throws(() => counted.resolve("nope"), { code: "FunctionNotFound" });
});
