/**
 * The ingest on both state stores (in-process memory, Redis), over embedded PGlite: two replicas
 * consuming one stream store every batch exactly once between them, a bad entry is acked and
 * counted, and every replica's live subscribers see what either stored.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { openDatabase, createRepositories, type Database, type Repositories } from "../db/index.ts";
import { uniqueName } from "../db/contract-support.ts";
import { createStateStore, type StateStore } from "../../../shared/state/index.ts";
import { FUNCTION_LOGS_LIVE_CHANNEL, FUNCTION_LOGS_STREAM, FUNCTION_LOGS_STREAM_MAX_LEN } from "../../../protocol/function-logs.ts";
import { serviceSkipReason, TEST_REDIS_URL, uniquePrefix } from "../../../tests/support/services.ts";
import { waitFor } from "../../../tests/support/wait-for.ts";
import { FunctionLogIngest, FUNCTION_LOG_GROUP } from "./log-ingest.ts";
import { decodeLiveRows } from "./live-rows.ts";
import { record } from "./function-logs.contract.ts";

let database: Database;
let repos: Repositories;
before(async () => {
  database = await openDatabase({ kind: "pglite", dir: "memory://" });
  repos = createRepositories(database.db);
});
after(() => database?.close());

const redisSkip = await serviceSkipReason("redis", TEST_REDIS_URL);

for (const kind of ["memory", "redis"] as const) {
  describe(`function log ingest on the ${kind} state store`, { skip: kind === "redis" ? redisSkip : undefined }, () => {
    /** Two replicas' stores: one shared instance in memory, two connections to one prefix on Redis. */
    let stores: [StateStore, StateStore];
    before(async () => {
      if (kind === "memory") {
        const one = await createStateStore({ kind: "memory" });
        stores = [one, one];
      } else {
        const keyPrefix = uniquePrefix("logs");
        stores = [await createStateStore({ kind: "redis", url: TEST_REDIS_URL, keyPrefix }), await createStateStore({ kind: "redis", url: TEST_REDIS_URL, keyPrefix })];
      }
    });
    after(async () => {
      await Promise.all([...new Set(stores)].map((s) => s.close()));
    });

    test("two replicas store every appended batch once between them, count bad entries, and both see every stored line live", async () => {
      const fn = uniqueName("ing");
      const live: [number[], number[]] = [[], []];
      for (const i of [0, 1] as const) await stores[i].subscribe(FUNCTION_LOGS_LIVE_CHANNEL, (m) => live[i].push(...decodeLiveRows(m).filter((l) => l.functionName === fn).map((l) => l.id)));
      const replicas = stores.map((state, i) => new FunctionLogIngest({ state, logs: repos.functionLogs, consumer: `replica-${i}`, readCount: 4, blockMs: 100 }));
      for (const r of replicas) await r.start();
      try {
        // As a runner appends: batches of records, trimmed to a bounded length.
        for (let b = 0; b < 40; b++) {
          const batch = Array.from({ length: 5 }, (_, i) => record(fn, { requestId: `req-${b}`, message: `b${b} l${i}` }));
          await stores[b % 2].xadd(FUNCTION_LOGS_STREAM, { records: JSON.stringify(batch) }, { maxLen: FUNCTION_LOGS_STREAM_MAX_LEN });
          if (b === 20) await stores[0].xadd(FUNCTION_LOGS_STREAM, { oops: "no records field" });
        }
        await waitFor("every batch stored", () => replicas.map((r) => ({ ...r.counts })), {
          until: (c) => c[0]!.entries + c[1]!.entries === 40 && c[0]!.invalid + c[1]!.invalid === 1,
          timeoutMs: 15_000,
        });
        const lines = await repos.functionLogs.page({ functionName: fn, limit: 1000 });
        assert.equal(lines.length, 200);
        assert.equal(new Set(lines.map((l) => l.message)).size, 200, "no line stored twice");
        assert.equal(await stores[0].pendingCount(FUNCTION_LOGS_STREAM, FUNCTION_LOG_GROUP), 0);
        const ids = lines.map((l) => l.id).sort((a, b) => a - b);
        await waitFor("both replicas' subscribers saw all 200 lines", () => live.map((l) => l.length), { until: (n) => n[0] === 200 && n[1] === 200 });
        for (const l of live) assert.deepEqual([...l].sort((a, b) => a - b), ids);
      } finally {
        await Promise.all(replicas.map((r) => r.stop()));
      }
    });
  });
}
