/**
 * State port entry point: picks the adapter from configuration (REDIS_URL set → Redis, else memory)
 * and hands back a store that is known to work, so start-up fails fast with a clear message.
 */
import { MemoryStateStore } from "./memory-state-store.ts";
import { RedisStateStore } from "./redis-state-store.ts";
import type { StateStore } from "./state-store.ts";

export type { Lease, ReadGroupOptions, SetOptions, StateStore, StreamEntry, Unsubscribe } from "./state-store.ts";
export { MemoryStateStore } from "./memory-state-store.ts";
export { RedisStateStore } from "./redis-state-store.ts";

export type StateStoreConfig = { kind: "redis"; url: string; keyPrefix?: string } | { kind: "memory" };

/** Create the configured store. For Redis, connects and pings first; rejects when the server is unreachable. */
export async function createStateStore(cfg: StateStoreConfig): Promise<StateStore> {
  if (cfg.kind === "memory") return new MemoryStateStore();
  const store = new RedisStateStore({ url: cfg.url, keyPrefix: cfg.keyPrefix });
  try {
    await store.ping();
  } catch (err) {
    await store.close();
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Cannot use the state store: ${reason}. Check REDIS_URL, or unset it to use the embedded store.`, {
      cause: err,
    });
  }
  return store;
}
