/**
 * In-memory `ApiKeyStore` for unit tests. Not an embedded adapter: the real store lives in
 * the database (PGlite when embedded), so keys survive restarts.
 */
import type { ApiKeyRecord, ApiKeyStore } from "../../platform/src/auth/key-store.ts";

export class MemoryApiKeyStore implements ApiKeyStore {
  readonly #records = new Map<string, ApiKeyRecord>();
  /** Number of `get` calls, so tests can see the resolver's cache at work. */
  gets = 0;
  /** Ids passed to `touch`, in call order. */
  readonly touched: string[] = [];

  async get(id: string): Promise<ApiKeyRecord | null> {
    this.gets++;
    const rec = this.#records.get(id);
    return rec ? { ...rec } : null;
  }

  async insert(rec: ApiKeyRecord): Promise<void> {
    if (this.#records.has(rec.id)) throw new Error(`API key "${rec.id}" already exists`);
    this.#records.set(rec.id, { ...rec });
  }

  async count(): Promise<number> {
    return this.#records.size;
  }

  async touch(id: string): Promise<void> {
    this.touched.push(id);
  }

  /** Test helper: mark a key revoked. */
  revoke(id: string, at = new Date()): void {
    const rec = this.#records.get(id);
    if (!rec) throw new Error(`API key "${id}" does not exist`);
    rec.revokedAt = at;
  }
}
