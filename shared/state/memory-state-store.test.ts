/**
 * Runs the state contract against the embedded adapter, plus what only the memory adapter has:
 * the expiry sweep and adapter selection.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createStateStore } from "./index.ts";
import { MemoryStateStore } from "./memory-state-store.ts";
import { delay, runStateStoreContract } from "./state-store.contract.ts";

runStateStoreContract("memory", async () => ({ store: new MemoryStateStore(), cleanup: async () => {} }));

describe("MemoryStateStore", () => {
  test("the sweep removes expired keys and leases nobody reads again", async () => {
    const store = new MemoryStateStore();
    try {
      await store.set("a", "1", { ttlMs: 20 });
      await store.hset("b", { f: "1" }, { ttlMs: 20 });
      await store.set("kept", "1");
      await store.acquireLease("l", "holder", 20);
      assert.equal(store.sweepExpired(), 0, "nothing has expired yet");
      await delay(40);
      assert.equal(store.sweepExpired(), 3);
      assert.equal(await store.get("kept"), "1");
    } finally {
      await store.close();
    }
  });

  test("the periodic sweep runs on its own", async () => {
    const store = new MemoryStateStore({ sweepIntervalMs: 10 });
    try {
      await store.set("a", "1", { ttlMs: 20 });
      await delay(60);
      assert.equal(store.sweepExpired(), 0, "the timer already removed it");
    } finally {
      await store.close();
    }
  });

  test("a throwing subscriber is reported and does not stop the others", async () => {
    const errors: string[] = [];
    const store = new MemoryStateStore({ onHandlerError: (_err, channel) => errors.push(channel) });
    try {
      const got: string[] = [];
      await store.subscribe("ch", () => {
        throw new Error("boom");
      });
      let delivered!: () => void;
      const arrived = new Promise<void>((resolve) => (delivered = resolve));
      await store.subscribe("ch", (m) => {
        got.push(m);
        delivered();
      });
      await store.publish("ch", "x");
      await arrived;
      assert.deepEqual(got, ["x"]);
      assert.deepEqual(errors, ["ch"]);
    } finally {
      await store.close();
    }
  });

  test("createStateStore({ kind: 'memory' }) returns a working memory store", async () => {
    const store = await createStateStore({ kind: "memory" });
    try {
      assert.equal(store.kind, "memory");
      await store.ping();
    } finally {
      await store.close();
    }
  });
});
