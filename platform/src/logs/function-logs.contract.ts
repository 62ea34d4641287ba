/**
 * Contract suite for function logs on a database adapter (PGlite, Postgres): the repository
 * (multi-row inserts, pages, filters, deletes), the ingest storing batches appended to a real
 * in-process state store, and the retention sweep (age, byte cap, deleted functions, the
 * once-per-interval gate). Run by function-logs-pglite.test.ts and function-logs-postgres.test.ts.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRepositories, type Repositories } from "../db/index.ts";
import { functionInput, uniqueName, type OpenedDatabase } from "../db/contract-support.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import { FUNCTION_LOGS_LIVE_CHANNEL, FUNCTION_LOGS_STREAM, type FunctionLogRecord } from "../../../protocol/function-logs.ts";
import { rowsOf } from "../../../protocol/function-log-rows.ts";
import { FunctionLogsQuery } from "../../../protocol/api/logs.ts";
import { LiveTail } from "./live-tail.ts";
import { LogService } from "./log-service.ts";
import { FunctionLogIngest } from "./log-ingest.ts";
import { LogRetention } from "./log-retention.ts";
import { decodeLiveRows } from "./live-rows.ts";
import { waitFor } from "../../../tests/support/wait-for.ts";

const DAY = 86_400_000;

export function record(functionName: string, over: Partial<FunctionLogRecord> = {}): FunctionLogRecord {
  return { functionName, version: 1, requestId: "req-1", instanceId: "i-1", at: Date.now(), stream: "stdout", message: "hello", ...over };
}

export function runFunctionLogsContract(label: string, open: () => Promise<OpenedDatabase>): void {
  describe(`function logs contract: ${label}`, () => {
    let opened: OpenedDatabase;
    let repos: Repositories;
    before(async () => {
      opened = await open();
      repos = createRepositories(opened.database.db);
    });
    after(async () => {
      await opened?.cleanup();
    });

    describe("repository", () => {
      test("insert stores every record in order in one call, with increasing ids, and returns them", async () => {
        const fn = uniqueName("lg");
        const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
        const records = Array.from({ length: 2500 }, (_, i) => record(fn, { at, message: `line ${i}`, requestId: i % 2 ? null : `r-${i}` }));
        const stored = await repos.functionLogs.insert(records);
        assert.equal(stored.length, 2500);
        for (let i = 1; i < stored.length; i++) assert.ok(stored[i]!.id > stored[i - 1]!.id, "ids increase");
        assert.deepEqual(
          stored.slice(0, 2).map(({ id: _id, ...rest }) => rest),
          [
            { functionName: fn, version: 1, requestId: "r-0", instanceId: "i-1", at: new Date(at), stream: "stdout", message: "line 0" },
            { functionName: fn, version: 1, requestId: null, instanceId: "i-1", at: new Date(at), stream: "stdout", message: "line 1" },
          ],
        );
        const page = await repos.functionLogs.page({ functionName: fn, limit: 3000 });
        assert.deepEqual(page.map((l) => l.message), records.map((r) => r.message));
        assert.deepEqual(page.map((l) => l.id), stored.map((r) => r.id), "the ids returned are the ids stored");
        assert.deepEqual(await repos.functionLogs.insert([]), []);
        // Later inserts, of one row and of many, draw ids after every id already given.
        const one = await repos.functionLogs.insert([record(fn, { at, message: "one" })]);
        const more = await repos.functionLogs.insert([record(fn, { at, message: "two" }), record(fn, { at, message: "three" })]);
        assert.ok(one[0]!.id > stored.at(-1)!.id && more[0]!.id > one[0]!.id && more[1]!.id > more[0]!.id);
        const all = await repos.functionLogs.page({ functionName: fn, limit: 3000 });
        assert.deepEqual(all.slice(-3).map((l) => [l.id, l.message]), [[one[0]!.id, "one"], [more[0]!.id, "two"], [more[1]!.id, "three"]]);
      });

      test("keeps every time to the millisecond, and text as written (quotes, newlines' escapes, unicode)", async () => {
        const fn = uniqueName("lg");
        const times = [1767225600007, 1767225600999, 1767225600001, 1767225600500, 1];
        const texts = ['say "hi"', "tab\there \\ back", "ünïcødé ✓ 🚀", "", "x".repeat(16_384)];
        await repos.functionLogs.insert(times.map((at, i) => record(fn, { at, message: texts[i]! })));
        const page = await repos.functionLogs.page({ functionName: fn, limit: 10 });
        assert.deepEqual(page.map((l) => l.at.getTime()), times);
        assert.deepEqual(page.map((l) => l.message), texts);
      });

      test("page filters by request id, version, since (inclusive) and until (exclusive), pages after an id, and gives the newest", async () => {
        const fn = uniqueName("lg");
        const t0 = Date.UTC(2026, 1, 1);
        await repos.functionLogs.insert([
          record(fn, { at: t0, message: "a", requestId: "r1", version: 1 }),
          record(fn, { at: t0 + 1000, message: "b", requestId: "r2", version: 2 }),
          record(fn, { at: t0 + 2000, message: "c", requestId: "r1", version: 2, stream: "stderr" }),
          record(fn, { at: t0 + 3000, message: "d", requestId: null, version: 2, stream: "platform" }),
          record(uniqueName("other"), { at: t0, message: "x" }),
        ]);
        const msgs = async (q: Partial<Parameters<typeof repos.functionLogs.page>[0]>) =>
          (await repos.functionLogs.page({ functionName: fn, limit: 100, ...q })).map((l) => l.message).join("");
        assert.equal(await msgs({}), "abcd");
        assert.equal(await msgs({ requestId: "r1" }), "ac");
        assert.equal(await msgs({ version: 2 }), "bcd");
        assert.equal(await msgs({ since: new Date(t0 + 1000) }), "bcd");
        assert.equal(await msgs({ until: new Date(t0 + 2000) }), "ab");
        assert.equal(await msgs({ limit: 2 }), "ab");
        assert.equal(await msgs({ limit: 2, newest: true }), "cd", "the newest two, oldest first");
        const [a] = await repos.functionLogs.page({ functionName: fn, limit: 1 });
        assert.equal(await msgs({ afterId: a!.id }), "bcd");
        assert.equal(await msgs({ requestId: "r1", version: 2, since: new Date(t0 + 1), until: new Date(t0 + 5000) }), "c");
      });

      test("deleteOlderThan, deleteBeyondBytes and deleteFunction delete exactly what they name", async () => {
        const fn = uniqueName("lg");
        const other = uniqueName("lg");
        const now = Date.now();
        await repos.functionLogs.insert([
          record(fn, { at: now - 10 * DAY, message: "old1" }),
          record(fn, { at: now - 9 * DAY, message: "old2" }),
          record(fn, { at: now, message: "x".repeat(100) }),
          record(fn, { at: now, message: "é".repeat(50) }), // 100 octets, 50 characters
          record(fn, { at: now, message: "y".repeat(100) }),
          record(other, { at: now - 10 * DAY, message: "other" }),
        ]);
        assert.equal(await repos.functionLogs.deleteOlderThan(fn, new Date(now - 5 * DAY), 1), 1, "bounded by the batch");
        assert.equal(await repos.functionLogs.deleteOlderThan(fn, new Date(now - 5 * DAY), 100), 1);
        assert.equal(await repos.functionLogs.bytesOf(fn), 300);
        assert.equal(await repos.functionLogs.deleteBeyondBytes(fn, 300), 0, "at the cap nothing goes");
        assert.equal(await repos.functionLogs.deleteBeyondBytes(fn, 250), 1, "the oldest line goes first");
        assert.deepEqual((await repos.functionLogs.page({ functionName: fn, limit: 10 })).map((l) => l.message[0]), ["é", "y"]);
        assert.equal(await repos.functionLogs.deleteBeyondBytes(fn, 150), 1, "octets, not characters: the 100-octet é line does not fit beside y");
        assert.equal(await repos.functionLogs.bytesOf(fn), 100);
        assert.ok((await repos.functionLogs.loggedFunctions()).includes(fn));
        assert.equal(await repos.functionLogs.deleteFunction(fn, 100), 1);
        assert.equal(await repos.functionLogs.bytesOf(fn), 0);
        assert.ok(!(await repos.functionLogs.loggedFunctions()).includes(fn));
        assert.equal((await repos.functionLogs.page({ functionName: other, limit: 10 })).length, 1, "other functions keep their lines");
      });
    });

    /** Appends an entry that a replica's ingest (`consumer`) reads and never acks: it stopped. */
    async function readByDeadReplica(state: MemoryStateStore, consumer: string, fields: Record<string, string>): Promise<void> {
      const dead = new FunctionLogIngest({ state, logs: repos.functionLogs, consumer });
      await dead.start();
      await dead.stop(0);
      await state.xadd(FUNCTION_LOGS_STREAM, fields);
      assert.equal((await state.readGroup(FUNCTION_LOGS_STREAM, "function-log-writer", consumer)).length, 1);
    }

    /** Another replica's ingest, once it has claimed that one entry and acked it. */
    async function claimedBySurvivor(state: MemoryStateStore, consumer: string): Promise<FunctionLogIngest> {
      const survivor = new FunctionLogIngest({ state, logs: repos.functionLogs, consumer, claimIdleMs: 50, blockMs: 20 });
      await survivor.start();
      await waitFor("the entry claimed and acked", () => survivor.counts, { until: (c) => c.claimed === 1 && c.entries === 1, timeoutMs: 10_000 });
      await survivor.stop();
      return survivor;
    }

    describe("ingest", () => {
      test("stores appended batches in the database, acks them, counts a bad entry without stopping, and republishes the stored lines", async () => {
        const state = new MemoryStateStore();
        const live: string[] = [];
        await state.subscribe(FUNCTION_LOGS_LIVE_CHANNEL, (m) => live.push(m));
        const ingest = new FunctionLogIngest({ state, logs: repos.functionLogs, consumer: "replica-a", blockMs: 50 });
        await ingest.start();
        try {
          const fn = uniqueName("lg");
          await state.xadd(FUNCTION_LOGS_STREAM, { records: JSON.stringify([record(fn, { message: "one" }), record(fn, { message: "two" })]) });
          await state.xadd(FUNCTION_LOGS_STREAM, { records: "not json" });
          await state.xadd(FUNCTION_LOGS_STREAM, { records: JSON.stringify([{ functionName: fn }]) });
          await state.xadd(FUNCTION_LOGS_STREAM, { records: JSON.stringify([record(fn, { message: "nul\0byte" })]) });
          await waitFor("two batches stored, two bad entries counted", () => ingest.counts, { until: (c) => c.entries === 2 && c.invalid === 2 });
          const lines = await repos.functionLogs.page({ functionName: fn, limit: 10 });
          assert.deepEqual(lines.map((l) => l.message), ["one", "two", "nul\uFFFDbyte"]);
          assert.equal(await state.pendingCount(FUNCTION_LOGS_STREAM, "function-log-writer"), 0, "every entry acked, the bad ones too");
          await waitFor("three lines republished", () => live.flatMap(decodeLiveRows).length === 3);
          assert.deepEqual(live.flatMap(decodeLiveRows).map((l) => l.id), lines.map((l) => l.id), "live lines carry the stored ids");
        } finally {
          await ingest.stop();
          await state.close();
        }
      });

      test("packed rows: one row per invocation, read back as lines with cursors inside packs and time filters per line", async () => {
        const state = new MemoryStateStore();
        const live: string[] = [];
        await state.subscribe(FUNCTION_LOGS_LIVE_CHANNEL, (m) => live.push(m));
        const ingest = new FunctionLogIngest({ state, logs: repos.functionLogs, consumer: "packs", blockMs: 50 });
        await ingest.start();
        const hub = new LiveTail(state);
        await hub.start();
        try {
          const fn = uniqueName("lg");
          const t0 = Date.UTC(2026, 2, 1);
          const line = (requestId: string | null, dt: number, message: string, stream: FunctionLogRecord["stream"] = "platform") => record(fn, { requestId, at: t0 + dt, message, stream });
          const written = [
            line("a", 0, "START a"),
            line("b", 1, "START b"),
            line("a", 10, "out a", "stdout"),
            line(null, 20, "stray"),
            line("a", 30, "END a"),
            line("b", 40, "END b"),
            line("a", 50, "REPORT a"),
          ];
          await state.xadd(FUNCTION_LOGS_STREAM, { rows: JSON.stringify(rowsOf(written)) });
          await waitFor("one entry stored", () => ingest.counts, { until: (c) => c.entries === 1 });
          assert.equal(ingest.counts.rows, 3, "three rows: a, b, the stray line");
          assert.deepEqual((await repos.functionLogs.page({ functionName: fn, limit: 10 })).map((r) => r.stream), ["pack", "pack", "platform"]);
          const service = new LogService(repos.functionLogs, async () => {}, hub);
          const query = (q: Record<string, string>) => FunctionLogsQuery.parse(q);
          const all = await service.page(fn, query({}));
          assert.deepEqual(all.lines.map((l) => l.message), ["START a", "out a", "END a", "REPORT a", "START b", "END b", "stray"], "each invocation's lines together, in order");
          assert.deepEqual(all.lines.map((l) => Date.parse(l.at) - t0), [0, 10, 30, 50, 1, 40, 20], "each line keeps its own time");
          assert.equal(all.lines[1]!.stream, "stdout");
          // Pages of two: cursors fall inside packs and resume on the next line.
          const seen: string[] = [];
          let cursor: string | null = null;
          do {
            const p: Awaited<ReturnType<LogService["page"]>> = await service.page(fn, query(cursor ? { limit: "2", cursor } : { limit: "2" }));
            assert.ok(p.lines.length <= 2);
            seen.push(...p.lines.map((l) => l.message));
            cursor = p.nextCursor;
          } while (cursor);
          assert.deepEqual(seen, all.lines.map((l) => l.message));
          const msgs = async (q: Record<string, string>) => (await service.page(fn, query(q))).lines.map((l) => l.message);
          assert.deepEqual(await msgs({ requestId: "a" }), ["START a", "out a", "END a", "REPORT a"]);
          assert.deepEqual(await msgs({ since: String(t0 + 30) }), ["END a", "REPORT a", "END b"], "since applies per line, also to lines of a pack that began earlier");
          assert.deepEqual(await msgs({ since: String(t0 + 10), until: String(t0 + 40) }), ["out a", "END a", "stray"]);
          // Live: the stored rows are republished with their ids and expand to the same lines.
          await waitFor("republished", () => live.length >= 1);
          assert.equal(live.flatMap(decodeLiveRows).length, 3);
        } finally {
          await ingest.stop();
          await hub.close();
          await state.close();
        }
      });

      test("a claimed entry whose rows its dead consumer stored but never acked is not stored twice", async () => {
        const state = new MemoryStateStore();
        try {
          const fn = uniqueName("lg");
          const rows = rowsOf([record(fn, { requestId: "r1", message: "START" }), record(fn, { requestId: "r1", message: "END" }), record(fn, { requestId: "r2", message: "alone" })]);
          await readByDeadReplica(state, "dead-after-commit", { rows: JSON.stringify(rows) });
          // It committed the rows, then died before the ack.
          await repos.functionLogs.insert(rows.map(([functionName, version, requestId, instanceId, at, stream, message]) => ({ functionName, version, requestId, instanceId, at, stream, message })));
          const survivor = await claimedBySurvivor(state, "survivor-2");
          assert.equal(survivor.counts.duplicates, 2);
          assert.equal(survivor.counts.rows, 0);
          assert.equal((await repos.functionLogs.page({ functionName: fn, limit: 10 })).length, 2, "each row once");
          assert.equal(await state.pendingCount(FUNCTION_LOGS_STREAM, "function-log-writer"), 0);
        } finally {
          await state.close();
        }
      });

      test("takes over the entries a dead replica read and never acked", async () => {
        const state = new MemoryStateStore();
        try {
          const fn = uniqueName("lg");
          // The dead replica read it (pending under its name) and died before storing it.
          await readByDeadReplica(state, "dead", { records: JSON.stringify([record(fn, { message: "orphan" })]) });
          await claimedBySurvivor(state, "survivor");
          assert.deepEqual((await repos.functionLogs.page({ functionName: fn, limit: 10 })).map((l) => l.message), ["orphan"]);
          assert.equal(await state.pendingCount(FUNCTION_LOGS_STREAM, "function-log-writer"), 0);
        } finally {
          await state.close();
        }
      });

      test("drops an entry the database refuses while it stores the others, and keeps entries pending while the database is down", async () => {
        const state = new MemoryStateStore();
        let down = false;
        const fail = <T>(f: () => Promise<T>) => (down ? Promise.reject(new Error("connection refused")) : f());
        // The real repository behind a switch that makes the database unreachable.
        const flaky = { ...repos.functionLogs, insert: (r: FunctionLogRecord[]) => fail(() => repos.functionLogs.insert(r)), page: (q: Parameters<typeof repos.functionLogs.page>[0]) => fail(() => repos.functionLogs.page(q)) };
        const ingest = new FunctionLogIngest({ state, logs: flaky, consumer: "r", blockMs: 20, claimIdleMs: 200, retryMs: 50 });
        await ingest.start();
        try {
          const fn = uniqueName("lg");
          await state.xadd(FUNCTION_LOGS_STREAM, { records: JSON.stringify([record(fn, { message: "fine 1" })]) });
          await state.xadd(FUNCTION_LOGS_STREAM, { records: JSON.stringify([record(fn, { message: "bad time", at: 1e17 })]) });
          await state.xadd(FUNCTION_LOGS_STREAM, { records: JSON.stringify([record(fn, { message: "fine 2" })]) });
          await waitFor("two stored, the poison dropped", () => ({ ...ingest.counts }), { until: (c) => c.entries === 2 && c.invalid === 1 });
          down = true;
          await state.xadd(FUNCTION_LOGS_STREAM, { records: JSON.stringify([record(fn, { message: "during the outage" })]) });
          await waitFor("the entry read and left pending", () => state.pendingCount(FUNCTION_LOGS_STREAM, "function-log-writer"), { until: (n) => n === 1 });
          await new Promise((r) => setTimeout(r, 500)); // claimed and retried while down: still not dropped
          assert.equal(ingest.counts.invalid, 1);
          down = false;
          await waitFor("stored once the database is back", () => ({ ...ingest.counts }), { until: (c) => c.entries === 3, timeoutMs: 15_000 });
          assert.deepEqual((await repos.functionLogs.page({ functionName: fn, limit: 10 })).map((l) => l.message), ["fine 1", "fine 2", "during the outage"]);
          assert.equal(await state.pendingCount(FUNCTION_LOGS_STREAM, "function-log-writer"), 0);
        } finally {
          await ingest.stop();
          await state.close();
        }
      });

      test("stop stores what was already appended before it returns", async () => {
        const state = new MemoryStateStore();
        try {
          const fn = uniqueName("lg");
          const ingest = new FunctionLogIngest({ state, logs: repos.functionLogs, consumer: "r", blockMs: 5000 });
          await ingest.start();
          for (let i = 0; i < 5; i++) await state.xadd(FUNCTION_LOGS_STREAM, { records: JSON.stringify([record(fn, { message: `m${i}` })]) });
          const t = Date.now();
          await ingest.stop();
          assert.ok(Date.now() - t < 4000, "stop does not wait out the blocking read");
          assert.equal((await repos.functionLogs.page({ functionName: fn, limit: 10 })).length, 5);
        } finally {
          await state.close();
        }
      });
    });

    describe("retention", () => {
      test("deletes lines past each function's retention (or the default), beyond its byte cap, and of deleted functions", async () => {
        const state = new MemoryStateStore();
        try {
          const keeps = uniqueName("lg"); // logRetentionDays 30
          const dflt = uniqueName("lg"); // the default, 7 days
          const capped = uniqueName("lg"); // logMaxBytes 65536
          const gone = uniqueName("lg"); // never created (deleted)
          await repos.functions.create(functionInput(keeps, { logRetentionDays: 30 }));
          await repos.functions.create(functionInput(dflt));
          await repos.functions.create(functionInput(capped, { logMaxBytes: 65_536 }));
          const now = Date.now();
          await repos.functionLogs.insert([
            record(keeps, { at: now - 20 * DAY, message: "kept" }),
            record(keeps, { at: now - 40 * DAY, message: "expired" }),
            record(dflt, { at: now - 6 * DAY, message: "kept" }),
            record(dflt, { at: now - 8 * DAY, message: "expired" }),
            ...Array.from({ length: 10 }, (_, i) => record(capped, { at: now, message: `${i}`.padEnd(10_000, "z") })),
            record(gone, { message: "orphan" }),
          ]);
          const retention = new LogRetention({ functions: repos.functions, logs: repos.functionLogs, state, namespace: `hs:${uniqueName("c")}:`, holder: "a", defaults: { retentionDays: 7, maxBytes: 1_000_000 } });
          const result = await retention.tick();
          assert.ok(result);
          const left = async (fn: string) => (await repos.functionLogs.page({ functionName: fn, limit: 100 })).map((l) => l.message[0]).join(",");
          assert.equal(await left(keeps), "k");
          assert.equal(await left(dflt), "k");
          assert.equal(await left(capped), "4,5,6,7,8,9", "the newest 60,000 bytes stay under the 65,536 cap");
          assert.equal(await left(gone), "");
          assert.ok(result.expired >= 2 && result.overCap >= 4 && result.orphaned >= 1, JSON.stringify(result));
          assert.deepEqual(await retention.sweep(), { expired: 0, overCap: 0, orphaned: 0 }, "a second sweep finds nothing: idempotent");
        } finally {
          await state.close();
        }
      });

      test("one replica per interval sweeps: the others' ticks find the gate taken", async () => {
        const state = new MemoryStateStore();
        try {
          const namespace = `hs:${uniqueName("c")}:`;
          const mk = (holder: string) => new LogRetention({ functions: repos.functions, logs: repos.functionLogs, state, namespace, holder, defaults: { retentionDays: 7, maxBytes: 1_000_000 }, intervalMs: 60_000 });
          const results = await Promise.all([mk("a").tick(), mk("b").tick(), mk("c").tick()]);
          assert.equal(results.filter((r) => r !== undefined).length, 1);
        } finally {
          await state.close();
        }
      });
    });
  });
}
