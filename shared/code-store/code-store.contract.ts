/**
 * Contract suite for the CodeStore port. Every adapter runs it (fs-code-store.test.ts,
 * s3-code-store.test.ts) so that they behave the same.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { CodeStore } from "./code-store.ts";
import { CodeCorruptError } from "./code-integrity.ts";

export interface CodeStoreHarness {
  store: CodeStore;
  /** Replace the stored object of `sha256` with `bytes` behind the store's back (disk or bucket). */
  corrupt(sha256: string, bytes: Buffer): Promise<void>;
  /** Put something that is not a code object where the store keeps them (a temp file, a foreign key): list must skip it. */
  plantForeign(): Promise<void>;
  /** Close the store and remove what the harness created. */
  cleanup(): Promise<void>;
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

export function runCodeStoreContract(label: string, make: () => Promise<CodeStoreHarness>): void {
  describe(`CodeStore contract: ${label}`, () => {
    let h: CodeStoreHarness;
    before(async () => {
      h = await make();
    });
    after(async () => {
      await h?.cleanup();
    });

    it("put returns the sha256 and size of the bytes and a location naming the object", async () => {
      const data = randomBytes(1234);
      const stored = await h.store.put(data);
      assert.equal(stored.sha256, sha(data));
      assert.equal(stored.size, 1234);
      assert.match(stored.location, new RegExp(`${stored.sha256.slice(0, 2)}/${stored.sha256}\\.zip$`));
      assert.match(stored.location, h.store.kind === "s3" ? /^s3:\/\// : /^file:\/\//);
    });

    it("put is idempotent: the same bytes twice give the same result", async () => {
      const data = randomBytes(500);
      const first = await h.store.put(data);
      const second = await h.store.put(Buffer.from(data));
      assert.deepEqual(second, first);
      assert.deepEqual(await h.store.get(first.sha256), data);
    });

    it("get returns exactly the bytes that were put", async () => {
      const data = randomBytes(4096);
      const { sha256 } = await h.store.put(data);
      const got = await h.store.get(sha256);
      assert.ok(got);
      assert.ok(Buffer.isBuffer(got));
      assert.deepEqual(got, data);
    });

    it("get returns null and has returns false for a sha256 that was never stored", async () => {
      const missing = sha(randomBytes(16));
      assert.equal(await h.store.get(missing), null);
      assert.equal(await h.store.has(missing), false);
    });

    it("has reports stored objects, and delete removes them (deleting twice is fine)", async () => {
      const data = randomBytes(300);
      const { sha256 } = await h.store.put(data);
      assert.equal(await h.store.has(sha256), true);
      await h.store.delete(sha256);
      assert.equal(await h.store.has(sha256), false);
      assert.equal(await h.store.get(sha256), null);
      await h.store.delete(sha256);
    });

    it("accepts an uppercase sha256 and rejects one that is not 64 hex digits", async () => {
      const data = randomBytes(64);
      const { sha256 } = await h.store.put(data);
      assert.deepEqual(await h.store.get(sha256.toUpperCase()), data);
      await assert.rejects(h.store.get("../../etc/passwd"), TypeError);
      await assert.rejects(h.store.has("abc"), TypeError);
      await assert.rejects(h.store.delete(`${sha256}/..`), TypeError);
    });

    it("get throws CodeCorruptError when the stored bytes no longer match their sha256", async () => {
      const data = randomBytes(2048);
      const { sha256 } = await h.store.put(data);
      const damaged = Buffer.from(data);
      damaged[100] ^= 0xff;
      await h.corrupt(sha256, damaged);
      await assert.rejects(h.store.get(sha256), (e: unknown) => {
        assert.ok(e instanceof CodeCorruptError);
        assert.equal(e.sha256, sha256);
        assert.equal(e.actualSha256, sha(damaged));
        assert.match(e.message, /corrupt/);
        return true;
      });
    });

    it("put repairs a damaged object of a different size", async () => {
      const data = randomBytes(1000);
      const { sha256 } = await h.store.put(data);
      await h.corrupt(sha256, data.subarray(0, 10));
      await h.store.put(data);
      assert.deepEqual(await h.store.get(sha256), data);
    });

    it("concurrent puts of the same bytes all succeed and store one intact object", async () => {
      const data = randomBytes(256 * 1024);
      const results = await Promise.all(Array.from({ length: 8 }, () => h.store.put(data)));
      for (const r of results) assert.deepEqual(r, results[0]);
      assert.deepEqual(await h.store.get(results[0].sha256), data);
    });

    it("round-trips a 10 MB object", async () => {
      const data = randomBytes(10 * 1024 * 1024);
      const stored = await h.store.put(data);
      assert.equal(stored.size, data.length);
      const got = await h.store.get(stored.sha256);
      assert.ok(got);
      assert.equal(got.length, data.length);
      assert.ok(got.equals(data));
    });

    it("stat gives the size and modification time of a stored object, and null for a missing one", async () => {
      const before = Date.now();
      const data = randomBytes(777);
      const { sha256 } = await h.store.put(data);
      const st = await h.store.stat(sha256.toUpperCase());
      assert.ok(st);
      assert.equal(st.sha256, sha256);
      assert.equal(st.size, 777);
      assert.ok(st.modifiedAt instanceof Date);
      // S3 reports whole seconds.
      assert.ok(Math.abs(st.modifiedAt.getTime() - before) < 5_000, `modifiedAt ${st.modifiedAt.toISOString()} vs ${new Date(before).toISOString()}`);
      assert.equal(await h.store.stat(sha(randomBytes(8))), null);
      await assert.rejects(h.store.stat("nope"), TypeError);
    });

    it("list yields every stored object once with its size, and no deleted one", async () => {
      const kept = await Promise.all([randomBytes(11), randomBytes(22), randomBytes(33)].map((b) => h.store.put(b)));
      const gone = await h.store.put(randomBytes(44));
      await h.store.delete(gone.sha256);
      await h.plantForeign();
      const listed = new Map<string, number>();
      for await (const o of h.store.list()) {
        assert.match(o.sha256, /^[0-9a-f]{64}$/);
        assert.ok(o.modifiedAt instanceof Date && !Number.isNaN(o.modifiedAt.getTime()));
        assert.ok(!listed.has(o.sha256), `listed ${o.sha256} twice`);
        listed.set(o.sha256, o.size);
      }
      for (const k of kept) assert.equal(listed.get(k.sha256), k.size);
      assert.equal(listed.has(gone.sha256), false);
    });

    it("a second put of the same bytes refreshes the object's modification time", async () => {
      const data = randomBytes(555);
      const { sha256 } = await h.store.put(data);
      const first = (await h.store.stat(sha256))!.modifiedAt;
      await new Promise((r) => setTimeout(r, 1_100)); // S3 times have one-second resolution
      await h.store.put(data);
      const second = (await h.store.stat(sha256))!.modifiedAt;
      assert.ok(second.getTime() > first.getTime(), `${second.toISOString()} after ${first.toISOString()}`);
      assert.deepEqual(await h.store.get(sha256), data);
    });

    it("ping resolves when the store is reachable", async () => {
      await h.store.ping();
    });
  });
}
