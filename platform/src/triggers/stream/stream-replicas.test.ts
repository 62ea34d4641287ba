/** StreamReplicas on the in-process state store: announcements count until they expire, stale ones are removed, leaving is immediate. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStateStore } from "../../../../shared/state/memory-state-store.ts";
import { StreamReplicas } from "./stream-replicas.ts";

describe("StreamReplicas", () => {
  it("lists announced replicas until their announcement expires, then removes them; leave() is immediate", async () => {
    const state = new MemoryStateStore();
    try {
      const a = new StreamReplicas(state, "hs:t:", "a", 100);
      const b = new StreamReplicas(state, "hs:t:", "b", 100);
      await a.announce(["redis"], ["t1"]);
      await b.announce(["redis", "nats"], []);
      assert.deepEqual((await a.live()).sort((x, y) => x.holder.localeCompare(y.holder)), [
        { holder: "a", sources: ["redis"], holds: ["t1"] },
        { holder: "b", sources: ["redis", "nats"], holds: [] },
      ]);
      await new Promise((r) => setTimeout(r, 120));
      await a.announce(["redis"], []);
      assert.deepEqual((await a.live()).map((r) => r.holder), ["a"], "b's announcement expired");
      assert.ok("b" in (await state.hgetall("hs:t:stream-replicas")), "kept for a TTL after it expired");
      await new Promise((r) => setTimeout(r, 110));
      await a.announce(["redis"], []);
      await a.live();
      assert.deepEqual(Object.keys(await state.hgetall("hs:t:stream-replicas")), ["a"], "then removed");
      await a.leave();
      assert.deepEqual(await b.live(), []);
    } finally {
      await state.close();
    }
  });
});
