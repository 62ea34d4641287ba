/**
 * The usage observer's arithmetic and flushing, over an in-memory repository (what it hands to
 * `add` is what the database would add): counts per function, version and UTC hour, rounding,
 * GB-seconds, which outcomes count, a failed flush kept and retried, the retry bound, close().
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { UsageRow } from "../db/repositories/usage.ts";
import { HOUR_MS } from "./billing.ts";
import { UsageObserver } from "./usage-observer.ts";
import { billedInvocation, invocationOf } from "./usage-test-support.ts";
import type { UsageDelta } from "./pending-usage.ts";

const T0 = Date.UTC(2026, 11, 7, 10, 59, 59, 900);

/** A repository that keeps what it was given; `fail` makes the next adds reject. */
function memoryRepo() {
  const calls: UsageRow[][] = [];
  const repo = {
    fail: 0,
    calls,
    async add(rows: readonly UsageRow[]) {
      if (repo.fail > 0) {
        repo.fail--;
        throw new Error("database down");
      }
      calls.push([...rows]);
    },
    /** Σ of everything written, per "fn@version@hourISO". */
    totals() {
      const t = new Map<string, Omit<UsageRow, "functionName" | "version" | "hour">>();
      for (const r of calls.flat()) {
        const k = `${r.functionName}@${r.version}@${r.hour.toISOString()}`;
        const s = t.get(k) ?? { invocations: 0, errors: 0, coldStarts: 0, billedMs: 0, gbSeconds: 0 };
        t.set(k, { invocations: s.invocations + r.invocations, errors: s.errors + r.errors, coldStarts: s.coldStarts + r.coldStarts, billedMs: s.billedMs + r.billedMs, gbSeconds: s.gbSeconds + r.gbSeconds });
      }
      return Object.fromEntries(t);
    },
  };
  return repo;
}

function observerAt(repo: ReturnType<typeof memoryRepo>, clock: { t: number }, extra: { maxPendingRows?: number; dropped?: UsageDelta[][]; errors?: unknown[] } = {}) {
  return new UsageObserver(repo, {
    flushIntervalMs: 3_600_000,
    now: () => clock.t,
    maxPendingRows: extra.maxPendingRows,
    onDropped: (d) => extra.dropped?.push([...d]),
    onError: (e) => extra.errors?.push(e),
  });
}

describe("UsageObserver", () => {
  test("adds invocations, errors, cold starts, billed ms (rounded up) and GB-seconds per function, version and hour", async () => {
    const repo = memoryRepo();
    const clock = { t: T0 };
    const o = observerAt(repo, clock);
    const fn = { functionName: "f", version: 1, memorySize: 256 };
    billedInvocation(o, { ...fn, durationMs: 100.2, coldStart: true }); // 101 ms
    billedInvocation(o, { ...fn, durationMs: 0.3 }); // 1 ms
    billedInvocation(o, { ...fn, durationMs: 49, kind: "function-error" }); // 49 ms
    billedInvocation(o, { functionName: "f", version: 2, memorySize: 1024, durationMs: 1000 });
    clock.t = T0 + 100; // 11:00:00.000, the next hour
    billedInvocation(o, { ...fn, durationMs: 10 });
    await o.close();
    assert.deepEqual(repo.totals(), {
      "f@1@2026-12-07T10:00:00.000Z": { invocations: 3, errors: 1, coldStarts: 1, billedMs: 151, gbSeconds: (151 * 256) / 1024 / 1000 },
      "f@2@2026-12-07T10:00:00.000Z": { invocations: 1, errors: 0, coldStarts: 0, billedMs: 1000, gbSeconds: 1 },
      "f@1@2026-12-07T11:00:00.000Z": { invocations: 1, errors: 0, coldStarts: 0, billedMs: 10, gbSeconds: 0.0025 },
    });
  });

  test("counts platform errors measured on an instance as errors, and ignores throttles, refusals and lost runners", async () => {
    const repo = memoryRepo();
    const o = observerAt(repo, { t: T0 });
    const inv = invocationOf({ functionName: "p", version: 1, memorySize: 128 });
    o.observe(inv, { kind: "platform-error", code: "TimeoutError", message: "t", coldStart: true, start: "fresh", durationMs: 3000 });
    o.observe(inv, { kind: "platform-error", code: "TooManyRequests", message: "q" });
    o.observe(inv, { kind: "platform-error", code: "ServiceUnavailable", message: "d", refused: true });
    o.observe(inv, { kind: "platform-error", code: "RunnerLost", message: "l" });
    o.observe(inv, { kind: "platform-error", code: "InitError", message: "i" });
    await o.close();
    assert.deepEqual(repo.totals(), { "p@1@2026-12-07T10:00:00.000Z": { invocations: 1, errors: 1, coldStarts: 1, billedMs: 3000, gbSeconds: 0.375 } });
  });

  test("writes nothing when nothing was observed, and each count once across flushes", async () => {
    const repo = memoryRepo();
    const o = observerAt(repo, { t: T0 });
    await o.flush();
    assert.equal(repo.calls.length, 0, "an empty flush does no I/O");
    billedInvocation(o, { functionName: "f", version: 1, memorySize: 128, durationMs: 5 });
    await o.flush();
    await o.flush();
    billedInvocation(o, { functionName: "f", version: 1, memorySize: 128, durationMs: 5 });
    await o.close();
    assert.equal(repo.calls.length, 2);
    assert.equal(repo.totals()["f@1@2026-12-07T10:00:00.000Z"]!.invocations, 2);
  });

  test("keeps the counts of a failed flush and writes them, merged with newer ones, on the next", async () => {
    const repo = memoryRepo();
    const errors: unknown[] = [];
    const o = observerAt(repo, { t: T0 }, { errors });
    billedInvocation(o, { functionName: "f", version: 1, memorySize: 128, durationMs: 5 });
    repo.fail = 1;
    await assert.rejects(o.flush(), /database down/);
    assert.equal(errors.length, 1);
    billedInvocation(o, { functionName: "f", version: 1, memorySize: 128, durationMs: 5 });
    await o.flush();
    assert.equal(repo.calls.length, 1, "one write, the retried counts merged into the row");
    assert.deepEqual(repo.totals()["f@1@2026-12-07T10:00:00.000Z"], { invocations: 2, errors: 0, coldStarts: 0, billedMs: 10, gbSeconds: 0.00125 });
    await o.close();
  });

  test("beyond the retry bound, drops the oldest hours and says so", async () => {
    const repo = memoryRepo();
    const clock = { t: T0 };
    const dropped: UsageDelta[][] = [];
    const o = observerAt(repo, clock, { maxPendingRows: 2, dropped });
    repo.fail = 3;
    for (let h = 0; h < 3; h++) {
      clock.t = T0 + h * HOUR_MS;
      billedInvocation(o, { functionName: "f", version: 1, memorySize: 128, durationMs: 5 });
      await o.flush().catch(() => {});
    }
    assert.deepEqual(
      dropped.flat().map((d) => new Date(d.hour).toISOString()),
      ["2026-12-07T10:00:00.000Z"],
    );
    await o.close();
    assert.deepEqual(Object.keys(repo.totals()).sort(), ["f@1@2026-12-07T11:00:00.000Z", "f@1@2026-12-07T12:00:00.000Z"]);
  });

  test("close() writes what is pending; when the database refuses, reports it as dropped", async () => {
    const repo = memoryRepo();
    const dropped: UsageDelta[][] = [];
    const o = observerAt(repo, { t: T0 }, { dropped });
    billedInvocation(o, { functionName: "f", version: 1, memorySize: 128, durationMs: 5 });
    repo.fail = 1;
    await o.close();
    assert.equal(repo.calls.length, 0);
    assert.deepEqual(dropped.flat().map((d) => [d.functionName, d.invocations]), [["f", 1]]);
  });

  test("flushes on its timer", async () => {
    const repo = memoryRepo();
    const o = new UsageObserver(repo, { flushIntervalMs: 20 });
    try {
      billedInvocation(o, { functionName: "f", version: 1, memorySize: 128, durationMs: 5 });
      const deadline = Date.now() + 5000;
      while (repo.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(repo.calls.length, 1, "written by the timer without an explicit flush");
    } finally {
      await o.close();
    }
  });
});
