import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TriggerStatsDelta } from "../db/index.ts";
import { TriggerStats } from "./trigger-stats.ts";

describe("TriggerStats", () => {
  it("writes one delta per trigger per flush, with counts, the newest time and the last error", async () => {
    const writes: Array<[string, TriggerStatsDelta]> = [];
    const stats = new TriggerStats({ addStats: async (id, d) => void writes.push([id, { ...d }]) });
    const t0 = new Date(1_000_000);
    stats.record("a", undefined, t0);
    stats.record("a", "Error: one", new Date(1_000_500));
    stats.record("a", "Error: two", new Date(1_000_200));
    stats.record("b", undefined, t0);
    await stats.flush();
    assert.deepEqual(writes, [
      ["a", { executions: 3, failures: 2, lastExecutedAt: new Date(1_000_500), lastError: "Error: two" }],
      ["b", { executions: 1, failures: 0, lastExecutedAt: t0 }],
    ]);
    await stats.flush();
    assert.equal(writes.length, 2, "nothing pending: no write");
  });

  it("keeps counting when a write fails, and close() flushes what is pending", async () => {
    const errors: unknown[] = [];
    let fail = true;
    const writes: string[] = [];
    const stats = new TriggerStats(
      { addStats: async (id) => {
        if (fail) throw new Error("db down");
        writes.push(id);
      } },
      { onError: (e) => errors.push(e) },
    );
    stats.record("a");
    await stats.flush();
    assert.equal(errors.length, 1);
    fail = false;
    stats.record("c");
    await stats.close();
    assert.deepEqual(writes, ["c"]);
  });
});
