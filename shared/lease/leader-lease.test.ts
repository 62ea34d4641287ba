/**
 * Runs the leader-lease contract on both state-store adapters: the in-process memory store and a
 * real Redis (TEST_REDIS_URL), each Redis run under a key prefix of its own.
 */
import { Redis } from "ioredis";
import { TEST_REDIS_URL, serviceSkipReason, uniquePrefix } from "../../tests/support/services.ts";
import { MemoryStateStore } from "../state/memory-state-store.ts";
import { RedisStateStore } from "../state/redis-state-store.ts";
import { runLeaderLeaseContract } from "./leader-lease.contract.ts";

runLeaderLeaseContract("memory", async () => ({ store: new MemoryStateStore(), cleanup: async () => {} }));

const skip = await serviceSkipReason("redis", TEST_REDIS_URL);

/** Delete every key under `prefix` with a connection of its own (the store is closed by then). */
async function deleteKeys(prefix: string): Promise<void> {
  const admin = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
  } finally {
    admin.disconnect();
  }
}

runLeaderLeaseContract(
  "redis",
  async () => {
    const keyPrefix = uniquePrefix("lease");
    return { store: new RedisStateStore({ url: TEST_REDIS_URL, keyPrefix }), cleanup: () => deleteKeys(keyPrefix) };
  },
  { skip },
);
