/**
 * The usage repository on real databases, embedded PGlite and a Postgres server: the upsert adds
 * to what is stored, two writers flushing the same rows at once add up exactly (two connections
 * on Postgres), and reads sum hours into hour and UTC-day buckets and per-function and per-version
 * totals, within [from, to).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, serviceSkipReason, TEST_DATABASE_URL } from "../../../tests/support/services.ts";
import { openDatabase, type Database } from "../db/database.ts";
import { createUsageRepository, type UsageRepository, type UsageRow } from "../db/repositories/usage.ts";
import { HOUR_MS } from "./billing.ts";
import { UsageObserver } from "./usage-observer.ts";
import { billedInvocation } from "./usage-test-support.ts";

/** Two handles on one database: two connections on Postgres, the same instance on PGlite. */
interface Opened {
  a: Database;
  b: Database;
  close(): Promise<void>;
}

const T0 = Date.UTC(2026, 11, 6, 22, 0, 0); // 2026-12-06T22:00Z: two hours before a UTC midnight

function row(functionName: string, version: number, hour: number, n: Partial<UsageRow> = {}): UsageRow {
  return { functionName, version, hour: new Date(hour), invocations: 1, errors: 0, coldStarts: 0, billedMs: 10, gbSeconds: 0.00125, ...n };
}

function usageSuite(title: string, open: () => Promise<Opened | string>): void {
  describe(`usage repository: ${title}`, () => {
    let db: Opened | undefined;
    let skip: string | undefined;
    let repo: UsageRepository;
    before(async () => {
      const o = await open();
      if (typeof o === "string") skip = o;
      else {
        db = o;
        repo = createUsageRepository(o.a.db);
      }
    });
    after(async () => {
      await db?.close();
    });

    test("an upsert adds every count to the stored row", async (t) => {
      if (skip) return t.skip(skip);
      await repo.add([row("add", 1, T0, { invocations: 3, errors: 1, coldStarts: 1, billedMs: 250, gbSeconds: 0.03125 })]);
      await repo.add([row("add", 1, T0, { invocations: 2, errors: 2, coldStarts: 0, billedMs: 7, gbSeconds: 0.000875 })]);
      const [total] = await repo.aggregate({ from: new Date(T0), to: new Date(T0 + HOUR_MS), functionName: "add" }, {});
      assert.deepEqual(total, { invocations: 5, errors: 3, coldStarts: 1, billedMs: 257, gbSeconds: 0.03125 + 0.000875 });
    });

    test("two writers flushing the same rows at once add up exactly", async (t) => {
      if (skip) return t.skip(skip);
      const writers = [createUsageRepository(db!.a.db), createUsageRepository(db!.b.db)];
      const keys = [1, 2, 3].flatMap((v) => [T0, T0 + HOUR_MS].map((h) => [v, h] as const));
      const rounds = 25;
      await Promise.all(
        writers.map(async (w, i) => {
          for (let r = 0; r < rounds; r++) {
            // Each writer lists the rows in its own order; the repository writes them in one order.
            const rows = keys.map(([v, h]) => row("race", v, h, { invocations: 1 + i, billedMs: 100, gbSeconds: 0.5 }));
            await w.add(i === 0 ? rows : rows.reverse());
          }
        }),
      );
      const perRow = await repo.aggregate({ from: new Date(T0), to: new Date(T0 + 2 * HOUR_MS), functionName: "race" }, { version: true, bucket: "hour" });
      assert.equal(perRow.length, keys.length);
      for (const r of perRow) {
        assert.equal(r.invocations, rounds * 3, `version ${r.version} at ${new Date(r.bucket!).toISOString()}`);
        assert.equal(r.billedMs, rounds * 2 * 100);
        assert.equal(r.gbSeconds, rounds * 2 * 0.5);
      }
    });

    test("two usage observers on two connections flush concurrently without losing or doubling a count", async (t) => {
      if (skip) return t.skip(skip);
      const observers = [db!.a, db!.b].map((d) => new UsageObserver(createUsageRepository(d.db), { flushIntervalMs: 60_000, now: () => T0 + 5 }));
      try {
        const flushes: Promise<void>[] = [];
        for (let i = 0; i < 200; i++) {
          for (const o of observers) billedInvocation(o, { functionName: "observed", version: 1 + (i % 2), memorySize: 512, durationMs: 1.5 });
          if (i % 20 === 19) flushes.push(...observers.map((o) => o.flush()));
        }
        await Promise.all(flushes);
      } finally {
        await Promise.all(observers.map((o) => o.close()));
      }
      const byVersion = await repo.aggregate({ from: new Date(T0), to: new Date(T0 + HOUR_MS), functionName: "observed" }, { version: true });
      assert.deepEqual(
        byVersion.map((v) => [v.version, v.invocations, v.billedMs]),
        [
          [1, 200, 400],
          [2, 200, 400],
        ],
      );
      // 400 billed ms × 512 MB = 0.2 GB-s per version.
      for (const v of byVersion) assert.equal(v.gbSeconds, 0.2);
    });

    test("sums hours into hour and UTC-day buckets, per function and per version, within [from, to)", async (t) => {
      if (skip) return t.skip(skip);
      const midnight = T0 + 2 * HOUR_MS;
      await repo.add([
        row("agg-a", 1, T0, { invocations: 1, billedMs: 1 }),
        row("agg-a", 2, T0 + HOUR_MS, { invocations: 2, billedMs: 2 }), // 23:00, same UTC day
        row("agg-a", 2, midnight, { invocations: 4, billedMs: 4 }), // next UTC day
        row("agg-b", 1, midnight + HOUR_MS, { invocations: 8, billedMs: 8 }),
        row("agg-b", 1, midnight + 30 * HOUR_MS, { invocations: 16, billedMs: 16 }), // beyond `to`
      ]);
      const range = { from: new Date(T0), to: new Date(midnight + 24 * HOUR_MS) };
      const days = await repo.aggregate({ ...range, functionName: "agg-a" }, { bucket: "day" });
      assert.deepEqual(
        days.map((d) => [new Date(d.bucket!).toISOString(), d.invocations]),
        [
          ["2026-12-06T00:00:00.000Z", 3],
          ["2026-12-07T00:00:00.000Z", 4],
        ],
      );
      const hours = await repo.aggregate({ ...range, functionName: "agg-a" }, { bucket: "hour" });
      assert.deepEqual(
        hours.map((h) => [h.bucket, h.invocations]),
        [
          [T0, 1],
          [T0 + HOUR_MS, 2],
          [midnight, 4],
        ],
      );
      const v2 = await repo.aggregate({ ...range, functionName: "agg-a", version: 2 }, { bucket: "hour" });
      assert.deepEqual(
        v2.map((h) => h.invocations),
        [2, 4],
      );
      const perVersion = await repo.aggregate({ ...range, functionName: "agg-a" }, { version: true });
      assert.deepEqual(
        perVersion.map((v) => [v.version, v.invocations, v.billedMs]),
        [
          [1, 1, 1],
          [2, 6, 6],
        ],
      );
      const perFunction = (await repo.aggregate(range, { functionName: true })).filter((f) => f.functionName!.startsWith("agg-"));
      assert.deepEqual(
        perFunction.map((f) => [f.functionName, f.invocations]),
        [
          ["agg-a", 7],
          ["agg-b", 8],
        ],
        "the row at or after `to` is left out",
      );
      assert.deepEqual(await repo.aggregate({ from: new Date(0), to: new Date(HOUR_MS), functionName: "agg-a" }, {}), [], "no rows, no total row");
    });
  });
}

usageSuite("pglite", async () => {
  const database = await openDatabase({ kind: "pglite", dir: "memory://" });
  return { a: database, b: database, close: () => database.close() };
});

usageSuite("postgres", async () => {
  const skip = await serviceSkipReason("postgres", TEST_DATABASE_URL);
  if (skip) return skip;
  const testDb = await createTestDatabase();
  const a = await openDatabase({ kind: "postgres", url: testDb.url });
  const b = await openDatabase({ kind: "postgres", url: testDb.url });
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      await testDb.drop();
    },
  };
});
