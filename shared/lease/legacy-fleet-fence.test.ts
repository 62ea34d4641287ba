/**
 * The capacity lease's tokens continue above the old fleet lease's, on a real Redis (where the old
 * lease's counter lives) and on the memory store (which has none).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Redis } from "ioredis";
import { FLEET_LEADER_LEASE } from "../../protocol/fleet.ts";
import { TEST_REDIS_URL, serviceSkipReason, uniquePrefix } from "../../tests/support/services.ts";
import { MemoryStateStore } from "../state/memory-state-store.ts";
import { RedisStateStore } from "../state/redis-state-store.ts";
import { LeaderLease } from "./leader-lease.ts";
import { legacyFleetTokenFloor } from "./legacy-fleet-fence.ts";

const skip = await serviceSkipReason("redis", TEST_REDIS_URL);

test("on Redis, the capacity lease's first token is above every token the old fleet lease issued, and follows it while old replicas still take it", { skip }, async () => {
  const keyPrefix = uniquePrefix("legacy-fence");
  const store = new RedisStateStore({ url: TEST_REDIS_URL, keyPrefix });
  const capacity = new LeaderLease(store, { duty: "capacity", namespace: "hs:c1:", holder: "new", renewMs: 50, tokenFloor: legacyFleetTokenFloor(store) });
  try {
    let old = 0;
    // Replicas of the previous release took the old lease a few times (what running runners have seen).
    for (let i = 0; i < 5; i++) {
      const l = (await store.acquireLease(FLEET_LEADER_LEASE, `old-${i}`, 5000))!;
      old = l.token;
      await store.releaseLease(l);
    }
    await capacity.start();
    assert.ok(capacity.token! > old, `capacity token ${capacity.token} after the old lease's ${old}`);
    // An old replica still running takes the old lease again (twice) during the upgrade.
    for (let i = 0; i < 2; i++) {
      const l = (await store.acquireLease(FLEET_LEADER_LEASE, "old-late", 5000))!;
      old = l.token;
      await store.releaseLease(l);
    }
    const deadline = Date.now() + 2000;
    while (!(capacity.token! > old) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(capacity.token! > old, `the leader's token ${capacity.token} caught up with the old lease's ${old}: runners do not ignore it`);
  } finally {
    await capacity.stop();
    await store.close();
    const admin = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    const keys = await admin.keys(`${keyPrefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    admin.disconnect();
  }
});

test("on the memory store, which has no old lease, tokens start from the store's own", async () => {
  const store = new MemoryStateStore();
  const capacity = new LeaderLease(store, { duty: "capacity", namespace: "hs:c1:", holder: "new", tokenFloor: legacyFleetTokenFloor(store) });
  try {
    await capacity.start();
    assert.equal(capacity.token, 1);
  } finally {
    await capacity.stop();
    await store.close();
  }
});
