import { test } from "node:test";
import assert from "node:assert/strict";
import { pickAliasVersion, RoutingTable } from "./routing-table.ts";
import type { FunctionRecord, Repositories } from "../db/index.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { validateRoutingConfig } from "../functions/alias-service.ts";

test("pickAliasVersion gives each extra version its weight and the primary the rest", () => {
  const route = { version: 1, extra: [[2, 0.1], [3, 0.3]] as Array<[number, number]> };
  assert.equal(pickAliasVersion(route, 0.05), 2);
  assert.equal(pickAliasVersion(route, 0.1), 3);
  assert.equal(pickAliasVersion(route, 0.29), 3);
  assert.equal(pickAliasVersion(route, 0.3), 1);
  assert.equal(pickAliasVersion(route, 0.99), 1);
});

test("weighted choice over 10,000 draws is within 2 points of the configured weights", () => {
  const route = { version: 1, extra: [[2, 0.1]] as Array<[number, number]> };
  let v2 = 0;
  for (let i = 0; i < 10_000; i++) if (pickAliasVersion(route) === 2) v2++;
  assert.ok(Math.abs(v2 / 10_000 - 0.1) < 0.02, `got ${v2 / 100}%`);
});

test("validateRoutingConfig refuses the primary, unknown versions, bad weights and sums over 1", () => {
  const existing = new Set([1, 2, 3]);
  assert.doesNotThrow(() => validateRoutingConfig(1, { "2": 0.5, "3": 0.5 }, existing));
  assert.throws(() => validateRoutingConfig(1, { "1": 0.1 }, existing), /primary/);
  assert.throws(() => validateRoutingConfig(1, { "9": 0.1 }, existing), /does not exist/);
  assert.throws(() => validateRoutingConfig(1, { "2": 0.6, "3": 0.6 }, existing), /sum to 1\.2/);
});

test("a reload overtaken by a newer one resolves only after the newer one applied its fresher read", async () => {
  // Database reads answered by hand: the first reload reads before the function exists, the
  // second after; the first's completion must not tell its caller the table is up to date early.
  const reads: Array<(fn: FunctionRecord | undefined) => void> = [];
  const repos = {
    functions: { get: () => new Promise<FunctionRecord | undefined>((r) => reads.push(r)), list: async () => [] },
    versions: { list: async () => [] },
    aliases: { list: async () => [] },
  } as unknown as Repositories;
  const table = new RoutingTable(repos, {} as StateStore);
  let settled = false;
  const first = table.reload("f").then(() => {
    settled = true;
    return table.has("f");
  });
  const second = table.reload("f");
  reads[0]!(undefined); // stale: read before the function was created
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, "the overtaken reload waits for the newer one");
  reads[1]!({ name: "f" } as FunctionRecord);
  assert.equal(await first, true, "once the overtaken reload resolves, the table has the function");
  await second;
  assert.equal(table.has("f"), true);
});

test("a full refresh and a single reload that overlap: the later read wins either way, and neither waits forever", async () => {
  // Reads answered by hand, in the opposite order to the one they were made in.
  const lists: Array<(fns: FunctionRecord[]) => void> = [];
  const gets: Array<(fn: FunctionRecord) => void> = [];
  const versionsOf = (n: number) => Array.from({ length: n }, (_, i) => ({ functionName: "f", version: i + 1, runtime: "nodejs20", handler: "i.h", memorySize: 128, timeout: 3, environment: {}, secrets: {}, codeSha256: "x", protocol: "fast", instanceConcurrency: 1 }));
  let versionCount = 1;
  const repos = {
    catalogDigests: { catalog: async () => "d", perFunction: async () => new Map([["f", "h"]]) },
    functions: { list: () => new Promise<FunctionRecord[]>((r) => lists.push(r)), get: () => new Promise<FunctionRecord>((r) => gets.push(r)) },
    versions: { listAll: async () => versionsOf(versionCount), list: async () => versionsOf(versionCount) },
    aliases: { listAll: async () => [], list: async () => [] },
  } as unknown as Repositories;
  const table = new RoutingTable(repos, {} as StateStore);
  const fn = { name: "f", secrets: {} } as unknown as FunctionRecord;
  const ticks = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };

  // 1. The refresh reads first (one version), a reload later (two); the reload's answer comes first.
  const refresh = table.refreshAll();
  await ticks();
  versionCount = 2;
  const reload = table.reload("f");
  await ticks();
  gets[0]!(fn);
  await reload;
  lists[0]!([fn]);
  await refresh;
  assert.equal(table.resolve("f", "$LATEST").spec.version, 2, "the refresh's older read did not overwrite the reload's");

  // 2. A reload reads first (two versions), the refresh later (three); the refresh's answer comes first.
  const early = table.reload("f");
  await ticks();
  versionCount = 3;
  const late = table.refreshAll();
  await ticks();
  lists[1]!([fn]);
  await late;
  versionCount = 2;
  gets[1]!(fn);
  await early;
  assert.equal(table.resolve("f", "$LATEST").spec.version, 3, "the reload's older read did not overwrite the refresh's");
});
