/**
 * Contract suite for the state port: every adapter (memory, Redis) must pass it unchanged.
 * Each test gets a fresh store from `make` (for Redis: its own key prefix), closes it and cleans up.
 * Stream tests live in state-store-streams.contract.ts and run from here.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { StateStore } from "./state-store.ts";
import { registerStreamContract } from "./state-store-streams.contract.ts";

export interface StateStoreHarness {
  store: StateStore;
  /** Remove whatever the test left behind (keys under the prefix); called after store.close(). */
  cleanup(): Promise<void>;
}

export type WithStore = (fn: (store: StateStore) => Promise<void>) => Promise<void>;

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Messages received on a subscription, awaitable one at a time. */
export function inbox() {
  const received: string[] = [];
  let waiting: (() => void) | undefined;
  return {
    received,
    handler: (message: string) => {
      received.push(message);
      waiting?.();
    },
    /** Resolves once `n` messages have arrived in total. */
    async until(n: number, timeoutMs = 2000): Promise<string[]> {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${n} messages, got ${received.length}: ${JSON.stringify(received)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiting = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
      return received;
    },
  };
}

export function runStateStoreContract(
  label: string,
  make: () => Promise<StateStoreHarness>,
  opts: { skip?: string } = {},
): void {
  const withStore: WithStore = async (fn) => {
    const { store, cleanup } = await make();
    try {
      await fn(store);
    } finally {
      await store.close();
      await cleanup();
    }
  };

  describe(`StateStore contract: ${label}`, { skip: opts.skip }, () => {
    describe("keys", () => {
      test("get returns null for a missing key, the value after set, and null after del", () =>
        withStore(async (s) => {
          assert.equal(await s.get("k"), null);
          assert.equal(await s.set("k", "v1"), true);
          assert.equal(await s.get("k"), "v1");
          assert.equal(await s.del("k"), true);
          assert.equal(await s.get("k"), null);
          assert.equal(await s.del("k"), false);
        }));

      test("set with ifNotExists returns false and keeps the old value when the key exists", () =>
        withStore(async (s) => {
          assert.equal(await s.set("k", "first", { ifNotExists: true }), true);
          assert.equal(await s.set("k", "second", { ifNotExists: true }), false);
          assert.equal(await s.get("k"), "first");
        }));

      test("a key set with ttlMs reports its remaining TTL and disappears when it expires", () =>
        withStore(async (s) => {
          await s.set("short", "v", { ttlMs: 150 });
          await s.set("forever", "v");
          const ttl = await s.ttl("short");
          assert.ok(ttl > 0 && ttl <= 150, `ttl ${ttl}`);
          assert.equal(await s.ttl("forever"), -1);
          assert.equal(await s.ttl("missing"), -2);
          assert.equal(await s.get("short"), "v");
          await delay(200);
          assert.equal(await s.get("short"), null);
          assert.equal(await s.ttl("short"), -2);
          assert.equal(await s.set("short", "again", { ifNotExists: true }), true, "an expired key counts as absent");
        }));

      test("a plain set clears an earlier TTL", () =>
        withStore(async (s) => {
          await s.set("k", "v", { ttlMs: 10_000 });
          await s.set("k", "v2");
          assert.equal(await s.ttl("k"), -1);
        }));

      test("incr starts from 0, adds `by`, and 200 concurrent increments all count", () =>
        withStore(async (s) => {
          assert.equal(await s.incr("n"), 1);
          assert.equal(await s.incr("n", 5), 6);
          assert.equal(await s.incr("n", -2), 4);
          await Promise.all(Array.from({ length: 200 }, () => s.incr("c")));
          assert.equal(await s.get("c"), "200");
        }));

      test("incr sets ttlMs only when it creates the key", () =>
        withStore(async (s) => {
          assert.equal(await s.incr("rate", 1, { ttlMs: 10_000 }), 1);
          assert.equal(await s.incr("rate", 1, { ttlMs: 100 }), 2);
          const ttl = await s.ttl("rate");
          assert.ok(ttl > 9000 && ttl <= 10_000, `ttl ${ttl} should still be the first one`);
          await s.set("plain", "1");
          await s.incr("plain", 1, { ttlMs: 5000 });
          assert.equal(await s.ttl("plain"), -1, "an existing key keeps having no TTL");
          await s.incr("short", 1, { ttlMs: 100 });
          await delay(150);
          assert.equal(await s.incr("short", 1, { ttlMs: 100 }), 1, "the window starts over after expiry");
        }));

      test("incr on a non-integer value and get on a hash reject", () =>
        withStore(async (s) => {
          await s.set("text", "abc");
          await assert.rejects(s.incr("text"), /not an integer/);
          await s.hset("h", { a: "1" });
          await assert.rejects(s.get("h"), /WRONGTYPE/);
        }));

      test("invalid TTLs and increments are rejected before reaching the store", () =>
        withStore(async (s) => {
          await assert.rejects(s.set("k", "v", { ttlMs: 0 }), RangeError);
          await assert.rejects(s.incr("k", 1, { ttlMs: -5 }), RangeError);
          await assert.rejects(s.hset("h", { a: "1" }, { ttlMs: 1.5 }), RangeError);
          await assert.rejects(s.incr("k", 0.5), RangeError);
          await assert.rejects(s.acquireLease("l", "a", 0), RangeError);
        }));
    });

    describe("hashes", () => {
      test("hset merges fields and hgetall returns them; a missing hash is {}", () =>
        withStore(async (s) => {
          assert.deepEqual(await s.hgetall("h"), {});
          await s.hset("h", { a: "1", b: "2" });
          await s.hset("h", { b: "3", c: "4" });
          assert.deepEqual(await s.hgetall("h"), { a: "1", b: "3", c: "4" });
        }));

      test("hdel removes the named fields, counts those that existed, and drops an emptied hash", () =>
        withStore(async (s) => {
          await s.hset("h", { a: "1", b: "2", c: "3" });
          assert.equal(await s.hdel("h", ["a", "z"]), 1);
          assert.deepEqual(await s.hgetall("h"), { b: "2", c: "3" });
          assert.equal(await s.hdel("h", ["b", "c"]), 2);
          assert.deepEqual(await s.hgetall("h"), {});
          assert.equal(await s.ttl("h"), -2, "the emptied hash is gone");
          assert.equal(await s.hdel("missing", ["a"]), 0);
        }));

      test("hincrby counts per field, atomically, with the TTL set when the hash is created", () =>
        withStore(async (s) => {
          assert.equal(await s.hincrby("m", "le_100", 1, { ttlMs: 10_000 }), 1);
          await Promise.all(Array.from({ length: 199 }, () => s.hincrby("m", "le_100", 1, { ttlMs: 50 })));
          assert.equal(await s.hincrby("m", "errors", 3), 3);
          assert.deepEqual(await s.hgetall("m"), { le_100: "200", errors: "3" });
          const ttl = await s.ttl("m");
          assert.ok(ttl > 9000 && ttl <= 10_000, `ttl ${ttl}`);
        }));

      test("hset with ttlMs refreshes the expiry on every call", () =>
        withStore(async (s) => {
          await s.hset("hb", { at: "1" }, { ttlMs: 150 });
          await s.hset("hb", { at: "2" }, { ttlMs: 10_000 });
          assert.ok((await s.ttl("hb")) > 9000);
          await s.hset("gone", { at: "1" }, { ttlMs: 100 });
          await delay(150);
          assert.deepEqual(await s.hgetall("gone"), {});
        }));
    });

    describe("token buckets", () => {
      test("takeToken allows a full burst at once, then refuses with the time until the next token", () =>
        withStore(async (s) => {
          const rate = { rps: 2, burst: 3 };
          const start = Date.now();
          for (let i = 0; i < 3; i++) {
            const { remaining, ...take } = await s.takeToken("b", rate);
            assert.deepEqual(take, { allowed: true, retryAfterMs: 0 });
            // What is left after the take, plus what refilled while the loop ran (2 tokens/s; the bucket's clock may be Redis's).
            const refilled = ((Date.now() - start + 5) * rate.rps) / 1000;
            assert.ok(remaining >= 2 - i && remaining <= 2 - i + refilled, `remaining after take ${i + 1}: ${remaining} (up to ${refilled} refilled)`);
          }
          const refused = await s.takeToken("b", rate);
          assert.equal(refused.allowed, false);
          assert.ok(refused.remaining >= 0 && refused.remaining < 1, `remaining when refused: ${refused.remaining}`);
          // One token takes 500 ms at 2 rps; some of it may have passed since the burst.
          assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 500, `retryAfterMs ${refused.retryAfterMs}`);
        }));

      test("takeToken refills at rps: a refused bucket allows again once retryAfterMs has passed", () =>
        withStore(async (s) => {
          const rate = { rps: 20, burst: 1 };
          assert.equal((await s.takeToken("b", rate)).allowed, true);
          const refused = await s.takeToken("b", rate);
          assert.equal(refused.allowed, false);
          await delay(refused.retryAfterMs + 5);
          assert.equal((await s.takeToken("b", rate)).allowed, true);
        }));

      test("takeToken keeps buckets apart by key and expires an untouched bucket once it would be full", () =>
        withStore(async (s) => {
          const rate = { rps: 1, burst: 1 };
          assert.equal((await s.takeToken("a", rate)).allowed, true);
          assert.equal((await s.takeToken("a", rate)).allowed, false);
          assert.equal((await s.takeToken("other", rate)).allowed, true);
          const ttl = await s.ttl("a");
          assert.ok(ttl > 1000 && ttl <= 2000, `ttl ${ttl}`);
        }));

      test("takeToken refuses a rate that is not positive and a burst that is not a positive integer", () =>
        withStore(async (s) => {
          await assert.rejects(s.takeToken("b", { rps: 0, burst: 1 }), /rps must be a positive number/);
          await assert.rejects(s.takeToken("b", { rps: 1, burst: 0.5 }), /burst must be a positive integer/);
        }));
    });

    describe("leases", () => {
      test("a free lease is acquired; a second holder is refused while it is held", () =>
        withStore(async (s) => {
          const before = Date.now();
          const a = await s.acquireLease("leader", "a", 5000);
          assert.ok(a);
          assert.equal(a.name, "leader");
          assert.equal(a.holder, "a");
          assert.ok(a.token > 0);
          assert.ok(a.expiresAt >= before + 5000 && a.expiresAt <= Date.now() + 5000);
          assert.equal(await s.acquireLease("leader", "b", 5000), null);
        }));

      test("re-acquiring by the same holder succeeds with a larger token", () =>
        withStore(async (s) => {
          const first = await s.acquireLease("leader", "a", 5000);
          const again = await s.acquireLease("leader", "a", 5000);
          assert.ok(first && again);
          assert.ok(again.token > first.token);
        }));

      test("renew extends a held lease; release frees it for another holder with a larger token", () =>
        withStore(async (s) => {
          const a = await s.acquireLease("leader", "a", 200);
          assert.ok(a);
          const renewed = await s.renewLease(a, 10_000);
          assert.ok(renewed);
          assert.equal(renewed.token, a.token);
          assert.ok(renewed.expiresAt > a.expiresAt);
          await delay(250);
          assert.equal(await s.acquireLease("leader", "b", 5000), null, "the renewal kept it held");
          assert.equal(await s.releaseLease(renewed), true);
          const b = await s.acquireLease("leader", "b", 5000);
          assert.ok(b);
          assert.ok(b.token > a.token);
          assert.equal(await s.releaseLease(renewed), false, "a released lease cannot be released again");
        }));

      test("an expired lease is taken over with a larger token and the old holder can neither renew nor release", () =>
        withStore(async (s) => {
          const a = await s.acquireLease("leader", "a", 100);
          assert.ok(a);
          await delay(150);
          const b = await s.acquireLease("leader", "b", 5000);
          assert.ok(b, "an expired lease is free");
          assert.ok(b.token > a.token);
          assert.equal(await s.renewLease(a, 5000), null);
          assert.equal(await s.releaseLease(a), false);
          assert.equal(await s.acquireLease("leader", "c", 5000), null, "b still holds it");
          assert.equal(await s.releaseLease(b), true);
        }));

      test("a stale Lease object of the same holder is refused after a re-acquire", () =>
        withStore(async (s) => {
          const old = await s.acquireLease("leader", "a", 5000);
          const current = await s.acquireLease("leader", "a", 5000);
          assert.ok(old && current);
          assert.equal(await s.renewLease(old, 5000), null);
          assert.equal(await s.releaseLease(old), false);
          assert.ok(await s.renewLease(current, 5000));
        }));

      test("fencing tokens strictly increase per lease name across holders", () =>
        withStore(async (s) => {
          let last = 0;
          for (let i = 0; i < 10; i++) {
            const lease = await s.acquireLease("cron", `holder-${i}`, 5000);
            assert.ok(lease);
            assert.ok(lease.token > last, `token ${lease.token} after ${last}`);
            last = lease.token;
            assert.equal(await s.releaseLease(lease), true);
          }
        }));
    });

    describe("pub/sub", () => {
      test("a subscriber receives published messages in order, after publish returns", () =>
        withStore(async (s) => {
          const box = inbox();
          await s.subscribe("routing", box.handler);
          const published = s.publish("routing", "v1");
          assert.deepEqual(box.received, [], "delivery is asynchronous");
          await published;
          await s.publish("routing", "v2");
          await s.publish("routing", "v3");
          assert.deepEqual(await box.until(3), ["v1", "v2", "v3"]);
        }));

      test("every subscriber of a channel gets the message and other channels get nothing", () =>
        withStore(async (s) => {
          const one = inbox();
          const two = inbox();
          const other = inbox();
          await s.subscribe("ch", one.handler);
          await s.subscribe("ch", two.handler);
          await s.subscribe("other", other.handler);
          await s.publish("ch", "hello");
          assert.deepEqual(await one.until(1), ["hello"]);
          assert.deepEqual(await two.until(1), ["hello"]);
          await s.publish("other", "marker");
          assert.deepEqual(await other.until(1), ["marker"]);
        }));

      test("after unsubscribe a handler receives nothing while other subscribers still do", () =>
        withStore(async (s) => {
          const gone = inbox();
          const stays = inbox();
          const unsubscribe = await s.subscribe("ch", gone.handler);
          await s.subscribe("ch", stays.handler);
          await s.publish("ch", "before");
          await gone.until(1);
          await unsubscribe();
          await unsubscribe(); // idempotent
          await s.publish("ch", "after");
          // Both handlers hear the same delivery, so once `stays` has "after", `gone` would have it too.
          assert.deepEqual(await stays.until(2), ["before", "after"]);
          assert.deepEqual(gone.received, ["before"]);
        }));

      test("the last unsubscribe of a channel stops delivery to it", () =>
        withStore(async (s) => {
          const box = inbox();
          const marker = inbox();
          const unsubscribe = await s.subscribe("ch", box.handler);
          await unsubscribe();
          await s.subscribe("marker", marker.handler);
          await s.publish("ch", "lost");
          await s.publish("marker", "m");
          await marker.until(1);
          assert.deepEqual(box.received, []);
        }));
    });

    registerStreamContract(withStore);

    describe("lifecycle", () => {
      test("ping resolves while the store is open", () => withStore((s) => s.ping()));

      test("close is idempotent and later calls reject", () =>
        withStore(async (s) => {
          await s.set("k", "v");
          await s.close();
          await s.close();
          await assert.rejects(s.get("k"), /closed/i);
          await assert.rejects(s.ping(), /closed/i);
        }));
    });
  });
}
