/**
 * BatchSlots on both state stores (in-process memory, and real Redis shared by two "replicas"):
 * never more slots held than the limit, a given-back slot goes to a waiter, a waiter holding
 * nothing goes before a replica that already holds one, a dead holder's slot frees itself
 * after its TTL, and a batch that outlived its slot's lease stops counting as held once settled.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MemoryStateStore, RedisStateStore, type StateStore } from "../../../../shared/state/index.ts";
import { TEST_REDIS_URL, serviceSkipReason, uniquePrefix } from "../../../../tests/support/services.ts";
import { BatchSlots } from "./batch-slots.ts";

const log = { warn: () => undefined };
const skipRedis = await serviceSkipReason("redis", TEST_REDIS_URL);

for (const kind of ["memory", "redis"] as const) {
  describe(`BatchSlots on the ${kind} state store`, { skip: kind === "redis" ? skipRedis : undefined }, () => {
    /** Two replicas' views of one trigger's slots (on Redis: two connections). */
    const open = (slots: number, ttlMs = 2000) => {
      const prefix = uniquePrefix("slots");
      const stores: StateStore[] = kind === "memory" ? [new MemoryStateStore()] : [0, 1].map(() => new RedisStateStore({ url: TEST_REDIS_URL, keyPrefix: prefix }));
      const replicas = [0, 1].map((i) => new BatchSlots({ state: stores[i % stores.length]!, triggerId: "t1", slots, ttlMs, log }));
      return { replicas, stores, close: () => Promise.all(stores.map((s) => s.close())) };
    };

    test("concurrent takers on two replicas never hold more than the limit at once", async () => {
      const { replicas, close } = open(3);
      const signal = new AbortController().signal;
      let held = 0;
      let max = 0;
      try {
        await Promise.all(
          Array.from({ length: 8 }, async (_, i) => {
            for (let k = 0; k < 4; k++) {
              const slot = (await replicas[i % 2]!.take(signal))!;
              max = Math.max(max, ++held);
              await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
              held--;
              await slot.release();
            }
          }),
        );
      } finally {
        await close();
      }
      assert.equal(max, 3);
    });

    test("a take waits while every slot is held and gets the one given back; an aborted take gives up", async () => {
      const { replicas, close } = open(1);
      try {
        const first = (await replicas[0]!.take(new AbortController().signal))!;
        const abort = new AbortController();
        setTimeout(() => abort.abort(), 150);
        assert.equal(await replicas[1]!.take(abort.signal), undefined);
        const waiting = replicas[1]!.take(new AbortController().signal);
        await new Promise((r) => setTimeout(r, 100));
        await first.release();
        const second = await waiting;
        assert.ok(second);
        await second.release();
      } finally {
        await close();
      }
    });

    test("a replica that holds no slot gets the next free one before a replica that holds one", async () => {
      const { replicas, close } = open(2);
      const signal = new AbortController().signal;
      try {
        const [a1, a2] = [(await replicas[0]!.take(signal))!, (await replicas[0]!.take(signal))!];
        const starving = replicas[1]!.take(signal);
        await new Promise((r) => setTimeout(r, 150)); // B has looked, found none, and left its waiting mark
        await a1.release();
        const greedy = replicas[0]!.take(signal); // A asks again at once, while it still holds a2
        const winner = await Promise.race([starving.then(() => "B"), greedy.then(() => "A")]);
        assert.equal(winner, "B");
        await a2.release();
        for (const s of await Promise.all([starving, greedy])) await s!.release();
      } finally {
        await close();
      }
    });

    test("the slot of a holder that died (its lease no longer renewed) is free again after its TTL, not before", async () => {
      const { replicas, stores, close } = open(1);
      try {
        // A replica killed while holding the only slot: its lease is never renewed nor released.
        assert.ok(await stores[0]!.acquireLease("queue-slot:t1:0", "killed-replica", 400));
        const t0 = Date.now();
        const slot = await replicas[1]!.take(new AbortController().signal);
        const waited = Date.now() - t0;
        assert.ok(slot);
        assert.ok(waited >= 300 && waited < 3000, `took the dead holder's slot after ${waited} ms (TTL 400 ms)`);
        await slot.release();
      } finally {
        await close();
      }
    });

    test("a batch that outlived its slot's lease, once settled, no longer counts as a slot held (it does not defer to waiters)", async () => {
      const { stores, close } = open(1, 60);
      // Renewals answer that the lease is lost, as when the replica stalled past the TTL.
      const lossy = Object.create(stores[0]!) as StateStore;
      lossy.renewLease = async () => null;
      const replica = new BatchSlots({ state: lossy, triggerId: "t1", slots: 1, ttlMs: 60, log });
      try {
        const slot = (await replica.take(new AbortController().signal))!;
        await new Promise((r) => setTimeout(r, 60)); // a renewal (every 20 ms) has found the lease lost
        await slot.release();
        // Another replica is waiting; one that holds a slot would let it go first and give up here.
        await stores[0]!.set("queue-slot-waiting:t1", "another replica", { ttlMs: 10_000 });
        const again = await replica.take(AbortSignal.timeout(300));
        assert.ok(again, "holding nothing, it takes the free slot despite the waiter");
        await again.release();
      } finally {
        await close();
      }
    });
  });
}
