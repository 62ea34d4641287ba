import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { hashSecret, parseApiKey, verifySecret } from "./api-key.ts";
import { runApiKeyStoreContract } from "./key-store.contract.ts";
import { ADMIN_ROLE, ensureAdminKey, ensureConfiguredKey, KeyResolver, newApiKeyRecord, type ApiKeyRecord, type ApiKeyStore } from "./key-store.ts";
import { MemoryApiKeyStore } from "../../../tests/support/memory-key-store.ts";
import { SecretBox } from "./secret-box.ts";
import { bearerKeyPrincipal, keyPrincipal } from "./principal.ts";

const SECRET = "Zy1Zy1Zy1Zy1Zy1Zy1Zy1Zy1Zy1Zy1Zy1Zy1Zy1Z";
const box = new SecretBox(randomBytes(32));

runApiKeyStoreContract("memory", async () => ({ store: new MemoryApiKeyStore() }));

async function storeWith(...recs: Array<Partial<ApiKeyRecord> & { id: string }>): Promise<MemoryApiKeyStore> {
  const store = new MemoryApiKeyStore();
  for (const r of recs) await store.insert({ ...newApiKeyRecord({ box, id: r.id, secret: SECRET, name: r.id, role: "admin" }), ...r });
  return store;
}

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("newApiKeyRecord", () => {
  it("stores only the hash and the sealed secret, bound to the id", () => {
    const rec = newApiKeyRecord({ box, id: "abcd1234", secret: SECRET, name: "ci", role: "admin" });
    assert.equal(rec.secretHash, hashSecret(SECRET));
    assert.ok(!JSON.stringify(rec).includes(SECRET));
    assert.equal(box.decrypt(rec.secretEnc, "abcd1234"), SECRET);
    assert.equal(rec.revokedAt, null);
  });
});

describe("KeyResolver", () => {
  it("serves repeated lookups from memory within the TTL and refetches after it", async () => {
    const store = await storeWith({ id: "abcd1234", role: "viewer" });
    const t = clock();
    const resolver = new KeyResolver({ store, box, ttlMs: 30_000, now: t.now });
    assert.deepEqual(await resolver.get("abcd1234"), { id: "abcd1234", role: "viewer", secretHash: hashSecret(SECRET) });
    await resolver.get("abcd1234");
    assert.equal(store.gets, 1);
    t.advance(30_001);
    await resolver.get("abcd1234");
    assert.equal(store.gets, 2);
  });

  it("shares one store lookup among concurrent requests for the same key", async () => {
    const store = await storeWith({ id: "abcd1234" });
    const resolver = new KeyResolver({ store, box });
    await Promise.all(Array.from({ length: 20 }, () => resolver.get("abcd1234")));
    assert.equal(store.gets, 1);
  });

  it("returns null for unknown keys and remembers that only briefly", async () => {
    const store = new MemoryApiKeyStore();
    const t = clock();
    const resolver = new KeyResolver({ store, box, negativeTtlMs: 5_000, now: t.now });
    assert.equal(await resolver.get("nope1234"), null);
    assert.equal(await resolver.get("nope1234"), null);
    assert.equal(store.gets, 1);
    await store.insert(newApiKeyRecord({ box, id: "nope1234", secret: SECRET, name: "n", role: "admin" }));
    t.advance(5_001);
    assert.equal((await resolver.get("nope1234"))?.id, "nope1234");
  });

  it("treats a revoked key as absent, immediately after invalidate(id)", async () => {
    const store = await storeWith({ id: "abcd1234" });
    const resolver = new KeyResolver({ store, box });
    assert.ok(await resolver.get("abcd1234"));
    store.revoke("abcd1234");
    assert.ok(await resolver.get("abcd1234"), "still cached until invalidated");
    resolver.invalidate("abcd1234");
    assert.equal(await resolver.get("abcd1234"), null);
    assert.equal(await resolver.secret("abcd1234"), null);
  });

  it("does not cache a lookup that was in flight when invalidate(id) was called", async () => {
    const inner = await storeWith({ id: "abcd1234" });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store: ApiKeyStore = {
      get: async (id) => {
        const rec = await inner.get(id);
        await gate;
        return rec;
      },
      insert: (r) => inner.insert(r),
      count: () => inner.count(),
    };
    const resolver = new KeyResolver({ store, box });
    const stale = resolver.get("abcd1234");
    inner.revoke("abcd1234");
    resolver.invalidate("abcd1234");
    release();
    assert.ok(await stale, "the in-flight caller still gets what it read");
    assert.equal(await resolver.get("abcd1234"), null, "but it was not cached");
  });

  it("verify() accepts the right secret, hashed once per cached record, and rejects any other", async () => {
    const store = await storeWith({ id: "abcd1234", role: "viewer" });
    const t = clock();
    const resolver = new KeyResolver({ store, box, ttlMs: 30_000, now: t.now });
    const wrongSameLength = SECRET.slice(0, -1) + (SECRET.endsWith("Z") ? "Y" : "Z");
    assert.equal(await resolver.verify("abcd1234", wrongSameLength), null, "a wrong secret before any success");
    assert.deepEqual(await resolver.verify("abcd1234", SECRET), { id: "abcd1234", role: "viewer", secretHash: hashSecret(SECRET) });
    assert.deepEqual((await resolver.verify("abcd1234", SECRET))?.id, "abcd1234", "the cached comparison accepts it again");
    assert.equal(await resolver.verify("abcd1234", wrongSameLength), null, "the cached comparison rejects a same-length impostor");
    assert.equal(await resolver.verify("abcd1234", SECRET + "x"), null, "and one of another length");
    assert.equal(await resolver.verify("zzzz9999", SECRET), null, "an unknown id");
    assert.equal(store.gets, 2);
    // A revoked key stops verifying as soon as the record is dropped, however often it passed before.
    store.revoke("abcd1234");
    resolver.invalidate("abcd1234");
    assert.equal(await resolver.verify("abcd1234", SECRET), null);
  });

  it("verifiedToken() knows only whole tokens verify() accepted, while their record is cached and fresh", async () => {
    const store = await storeWith({ id: "abcd1234", role: "viewer" });
    const t = clock();
    const resolver = new KeyResolver({ store, box, ttlMs: 30_000, now: t.now });
    const token = `hs_abcd1234_${SECRET}`;
    assert.equal(resolver.verifiedToken(token), undefined, "not before a verify");
    assert.equal(await resolver.verify("abcd1234", SECRET.slice(0, -1) + "Q"), null);
    assert.equal(resolver.verifiedToken(`hs_abcd1234_${SECRET.slice(0, -1)}Q`), undefined, "a refused secret is never remembered");
    await resolver.verify("abcd1234", SECRET);
    assert.equal(resolver.verifiedToken(token)?.id, "abcd1234");
    t.advance(30_001);
    assert.equal(resolver.verifiedToken(token), undefined, "the record expired: ask again");
    await resolver.verify("abcd1234", SECRET);
    assert.equal(resolver.verifiedToken(token)?.role, "viewer");
    store.revoke("abcd1234");
    resolver.invalidate("abcd1234");
    assert.equal(resolver.verifiedToken(token), undefined, "revoked: refused at once");
    assert.equal(await resolver.verify("abcd1234", SECRET), null);
  });

  it("decrypts the secret on demand and caches it", async () => {
    const store = await storeWith({ id: "abcd1234" });
    const resolver = new KeyResolver({ store, box });
    assert.equal(await resolver.secret("abcd1234"), SECRET);
    assert.equal(await resolver.secret("abcd1234"), SECRET);
    assert.equal(await resolver.secret("zzzz9999"), null);
    assert.equal(store.gets, 2);
  });

  it("throws when the sealed secret was made under another server key", async () => {
    const store = await storeWith({ id: "abcd1234" });
    const resolver = new KeyResolver({ store, box: new SecretBox(randomBytes(32)) });
    await assert.rejects(resolver.secret("abcd1234"), /HOTSWAP_SECRET_KEY/);
  });

  it("evicts the oldest entries beyond maxEntries", async () => {
    const store = await storeWith({ id: "aaaa1111" }, { id: "bbbb2222" }, { id: "cccc3333" });
    const resolver = new KeyResolver({ store, box, maxEntries: 2 });
    await resolver.get("aaaa1111");
    await resolver.get("bbbb2222");
    await resolver.get("cccc3333");
    assert.equal(store.gets, 3);
    await resolver.get("cccc3333");
    await resolver.get("bbbb2222");
    assert.equal(store.gets, 3);
    await resolver.get("aaaa1111");
    assert.equal(store.gets, 4);
  });

  it("keeps real keys cached while a flood of unknown key ids comes and goes", async () => {
    const store = await storeWith({ id: "aaaa1111" }, { id: "bbbb2222" });
    const resolver = new KeyResolver({ store, box, maxEntries: 2 });
    await resolver.get("aaaa1111");
    await resolver.get("bbbb2222");
    for (let i = 0; i < 50; i++) assert.equal(await resolver.get(`bad${String(i).padStart(5, "0")}`), null);
    const before = store.gets;
    assert.ok(await resolver.get("aaaa1111"));
    assert.ok(await resolver.get("bbbb2222"));
    assert.equal(store.gets, before, "the real keys were still cached");
  });

  it("carries a key's own rate limit into the resolved key", async () => {
    const store = await storeWith({ id: "abcd1234", rateLimit: { rps: 5, burst: 10 } }, { id: "efgh5678" });
    const resolver = new KeyResolver({ store, box });
    assert.deepEqual((await resolver.get("abcd1234"))?.rateLimit, { rps: 5, burst: 10 });
    assert.equal((await resolver.get("efgh5678"))?.rateLimit, undefined);
  });

  it("forwards markUsed to store.touch at most once per interval, ignoring failures", async () => {
    const store = await storeWith({ id: "abcd1234" });
    const t = clock();
    const resolver = new KeyResolver({ store, box, touchIntervalMs: 60_000, now: t.now });
    resolver.markUsed("abcd1234");
    resolver.markUsed("abcd1234");
    t.advance(60_000);
    resolver.markUsed("abcd1234");
    assert.deepEqual(store.touched, ["abcd1234", "abcd1234"]);

    store.touch = async () => {
      throw new Error("db down");
    };
    t.advance(60_000);
    resolver.markUsed("abcd1234"); // must not produce an unhandled rejection
    await new Promise((r) => setImmediate(r));
  });
});

describe("ensureAdminKey", () => {
  it("generates an admin key in an empty store and returns it once", async () => {
    const store = new MemoryApiKeyStore();
    const res = await ensureAdminKey({ store, box });
    assert.equal(res.created, true);
    assert.ok(res.created && res.key);
    const parsed = parseApiKey(res.key!)!;
    assert.equal(parsed.id, res.id);
    const rec = (await store.get(res.id))!;
    assert.equal(rec.role, ADMIN_ROLE);
    assert.ok(verifySecret(parsed.secret, rec.secretHash));
    assert.equal(box.decrypt(rec.secretEnc, rec.id), parsed.secret);

    assert.deepEqual(await ensureAdminKey({ store, box }), { created: false });
    assert.equal(await store.count(), 1);
  });

  it("inserts a configured HOTSWAP_ADMIN_KEY and never returns it", async () => {
    const store = new MemoryApiKeyStore();
    const adminKey = `hs_admin01_${SECRET}`;
    const res = await ensureAdminKey({ store, box, adminKey });
    assert.deepEqual(res, { created: true, id: "admin01" });
    assert.ok(verifySecret(SECRET, (await store.get("admin01"))!.secretHash));
    assert.deepEqual(await ensureAdminKey({ store, box, adminKey }), { created: false, id: "admin01" });
  });

  it("inserts a configured key even when other keys exist", async () => {
    const store = await storeWith({ id: "other123" });
    const res = await ensureAdminKey({ store, box, adminKey: `hs_admin01_${SECRET}` });
    assert.deepEqual(res, { created: true, id: "admin01" });
    assert.equal(await store.count(), 2);
  });

  it("fails fast, without echoing the secret, when the configured id exists with another secret", async () => {
    const store = await storeWith({ id: "admin01" });
    const other = "Q".repeat(40);
    await assert.rejects(
      ensureAdminKey({ store, box, adminKey: `hs_admin01_${other}` }),
      (e: Error) => /already exists with a different secret/.test(e.message) && !e.message.includes(other),
    );
  });

  it("treats a concurrent insert of the same configured key as already present", async () => {
    const inner = new MemoryApiKeyStore();
    const adminKey = `hs_admin01_${SECRET}`;
    const store: ApiKeyStore = {
      get: (id) => inner.get(id),
      count: () => inner.count(),
      insert: async (rec) => {
        await inner.insert(rec); // the other replica wins the race...
        await inner.insert(rec); // ...so ours hits the duplicate
      },
    };
    assert.deepEqual(await ensureAdminKey({ store, box, adminKey }), { created: false, id: "admin01" });
  });

  it("rejects a malformed configured key", async () => {
    await assert.rejects(ensureAdminKey({ store: new MemoryApiKeyStore(), box, adminKey: "hs_x_short" }), /must look like/);
  });
});

describe("ensureConfiguredKey (HOTSWAP_METRICS_KEY)", () => {
  const metrics = (key: string) => ({ key, variable: "HOTSWAP_METRICS_KEY", name: "metrics", role: "viewer" });

  it("inserts the configured key with its role, once", async () => {
    const store = new MemoryApiKeyStore();
    assert.deepEqual(await ensureConfiguredKey({ store, box, ...metrics(`hs_metrics01_${SECRET}`) }), { created: true, id: "metrics01" });
    assert.equal((await store.get("metrics01"))!.role, "viewer");
    assert.deepEqual(await ensureConfiguredKey({ store, box, ...metrics(`hs_metrics01_${SECRET}`) }), { created: false, id: "metrics01" });
  });

  it("refuses an id that an admin key already has, naming the variable", async () => {
    const store = new MemoryApiKeyStore();
    await ensureAdminKey({ store, box, adminKey: `hs_admin01_${SECRET}` });
    await assert.rejects(ensureConfiguredKey({ store, box, ...metrics(`hs_admin01_${SECRET}`) }), {
      message: 'HOTSWAP_METRICS_KEY: the key with id "admin01" has role "admin", not "viewer". Give the metrics key an id of its own.',
    });
  });

  it("names its own variable when the key is malformed", async () => {
    await assert.rejects(ensureConfiguredKey({ store: new MemoryApiKeyStore(), box, ...metrics("hs_x_short") }), /^Error: HOTSWAP_METRICS_KEY must look like/);
  });
});

describe("canApprove", () => {
  it("reaches the principal from the key record (Bearer and SigV4 alike), and is absent when the key has none", async () => {
    const store = await storeWith({ id: "appr1234", role: "deployer", canApprove: true }, { id: "plain123", role: "deployer" });
    const resolver = new KeyResolver({ store, box });
    const approver = (await resolver.verify("appr1234", SECRET))!;
    assert.equal(approver.canApprove, true);
    assert.equal(bearerKeyPrincipal(approver).canApprove, true);
    assert.equal(keyPrincipal(approver, "sigv4").canApprove, true);
    const plain = (await resolver.get("plain123"))!;
    assert.equal("canApprove" in keyPrincipal(plain, "bearer"), false);
  });
});
