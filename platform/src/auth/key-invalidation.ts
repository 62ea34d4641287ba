/**
 * Cross-replica key cache invalidation: a key revoked, rotated or changed on one replica is
 * dropped from every replica's KeyResolver cache through the state store's pub/sub (Redis, or the
 * in-process store when embedded), so it is refused everywhere within a message's latency rather
 * than the cache TTL. `hotswap admin reset-key` announces its revocations on the same channel. The TTL stays as the backstop for a lost message.
 */
import type { StateStore, Unsubscribe } from "../../../shared/state/state-store.ts";
import type { KeyResolver } from "./key-store.ts";

/** The channel carrying ids of changed keys. */
export const KEYS_CHANNEL = "hotswap:api-keys";

export class KeyInvalidation {
  #unsubscribe?: Unsubscribe;

  constructor(
    private readonly resolver: KeyResolver,
    private readonly state: StateStore,
  ) {}

  /** Listen for other replicas' changes. Resolves once subscribed. */
  async start(): Promise<void> {
    this.#unsubscribe = await this.state.subscribe(KEYS_CHANNEL, (id) => this.resolver.invalidate(id));
  }

  async stop(): Promise<void> {
    await this.#unsubscribe?.();
  }

  /** Drop the key here at once and tell every replica to drop it. */
  async changed(id: string): Promise<void> {
    this.resolver.invalidate(id);
    await announceKeyChange(this.state, id);
  }
}

/**
 * Tell every running replica to drop key `id` from its cache. What the key API sends on a change,
 * and what `hotswap admin reset-key` sends from outside any server after revoking a key.
 */
export async function announceKeyChange(state: Pick<StateStore, "publish">, id: string): Promise<void> {
  await state.publish(KEYS_CHANNEL, id);
}
