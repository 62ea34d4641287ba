/**
 * Contract suite for `ApiKeyStore`. Every adapter (memory here, the database one later)
 * runs it: `runApiKeyStoreContract("postgres", async () => ({ store, close }))`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ApiKeyRecord, ApiKeyStore } from "./key-store.ts";

export interface ApiKeyStoreFixture {
  /** An empty store. */
  store: ApiKeyStore;
  close?: () => Promise<void>;
}

function record(id: string, over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id,
    name: `key ${id}`,
    secretHash: "a".repeat(64),
    secretEnc: "v1:aaaaaaaaaaaaaaaa:bbbbbbbbbbbbbbbbbbbbbb:cc",
    role: "admin",
    revokedAt: null,
    ...over,
  };
}

export function runApiKeyStoreContract(name: string, make: () => Promise<ApiKeyStoreFixture>): void {
  describe(`ApiKeyStore contract: ${name}`, () => {
    async function withStore(fn: (store: ApiKeyStore) => Promise<void>): Promise<void> {
      const f = await make();
      try {
        await fn(f.store);
      } finally {
        await f.close?.();
      }
    }

    it("returns null for an unknown id and counts zero when empty", () =>
      withStore(async (store) => {
        assert.equal(await store.get("nope1234"), null);
        assert.equal(await store.count(), 0);
      }));

    it("returns an inserted record with every field intact", () =>
      withStore(async (store) => {
        const rec = record("abcd1234", { role: "viewer", name: "ci" });
        await store.insert(rec);
        assert.deepEqual(await store.get("abcd1234"), rec);
        assert.equal(await store.count(), 1);
      }));

    it("keeps revokedAt as a Date", () =>
      withStore(async (store) => {
        const at = new Date("2024-05-01T10:00:00.000Z");
        await store.insert(record("revk1234", { revokedAt: at }));
        const got = await store.get("revk1234");
        assert.ok(got?.revokedAt instanceof Date);
        assert.equal(got.revokedAt.getTime(), at.getTime());
      }));

    it("rejects a second insert with the same id and keeps the first record", () =>
      withStore(async (store) => {
        await store.insert(record("dupe1234", { name: "first" }));
        await assert.rejects(store.insert(record("dupe1234", { name: "second" })));
        assert.equal((await store.get("dupe1234"))?.name, "first");
        assert.equal(await store.count(), 1);
      }));

    it("accepts touch on an existing key when the adapter supports it", () =>
      withStore(async (store) => {
        await store.insert(record("tuch1234"));
        await store.touch?.("tuch1234");
        assert.equal((await store.get("tuch1234"))?.id, "tuch1234");
      }));
  });
}
