import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createCipheriv, randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addSecretKeyToFile, loadOrCreateSecretKey, loadSecretKeyring, SECRET_KEY_FILE, SecretBox } from "./secret-box.ts";

const SECRET = "s3cretS3cretS3cretS3cretS3cretS3cret0123";

/** A value in the first sealed format, `v1:<iv>:<tag>:<ct>`, as earlier servers wrote it. */
function legacySeal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), ct].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(":");
}

describe("SecretBox", () => {
  const box = new SecretBox(randomBytes(32));

  it("round-trips a string in the v2:<keyId>:<iv>:<tag>:<ct> base64url format", () => {
    const sealed = box.encrypt(SECRET, "abcd1234");
    assert.match(sealed, /^v2:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    assert.equal(sealed.split(":")[1], box.keyId);
    assert.ok(!sealed.includes(SECRET));
    assert.equal(box.decrypt(sealed, "abcd1234"), SECRET);
  });

  it("uses a fresh IV each time", () => {
    assert.notEqual(box.encrypt(SECRET), box.encrypt(SECRET));
  });

  it("refuses a tampered ciphertext or tag", () => {
    const [v, kid, iv, tag, ct] = box.encrypt(SECRET).split(":");
    const flip = (s: string) => {
      const b = Buffer.from(s, "base64url");
      b[0] ^= 1;
      return b.toString("base64url");
    };
    assert.throws(() => box.decrypt([v, kid, iv, tag, flip(ct)].join(":")), /Cannot decrypt/);
    assert.throws(() => box.decrypt([v, kid, iv, flip(tag), ct].join(":")), /Cannot decrypt/);
  });

  it("refuses a value sealed for another context (key id)", () => {
    assert.throws(() => box.decrypt(box.encrypt(SECRET, "aaaa1111"), "bbbb2222"), /Cannot decrypt/);
  });

  it("refuses a value sealed under another server key, without leaking the plaintext", () => {
    const other = new SecretBox(randomBytes(32));
    assert.throws(
      () => other.decrypt(box.encrypt(SECRET)),
      (e: Error) => /HOTSWAP_PREVIOUS_SECRET_KEYS/.test(e.message) && e.message.includes(box.keyId) && !e.message.includes(SECRET),
    );
  });

  it("refuses unknown versions and malformed values", () => {
    assert.throws(() => box.decrypt("v3:a:b:c:d"), /Unsupported/);
    assert.throws(() => box.decrypt("v2:a:b:c"), /Unsupported/);
    assert.throws(() => box.decrypt("garbage"), /Unsupported/);
    assert.throws(() => box.decrypt("v1:AAAA:AAAA:AAAA"), /Malformed/);
    assert.throws(() => box.decrypt(`v2:${box.keyId}:AAAA:AAAA:AAAA`), /Malformed/);
  });

  it("opens values of the v1 format (no key id) under any key of its ring, and calls them stale", () => {
    const key = randomBytes(32);
    const v1 = legacySeal(key, SECRET, "abcd1234");
    const ring = new SecretBox([randomBytes(32), key]);
    assert.equal(ring.decrypt(v1, "abcd1234"), SECRET);
    assert.equal(ring.isStale(v1), true);
    assert.throws(() => new SecretBox(randomBytes(32)).decrypt(v1, "abcd1234"), /wrong server key/);
  });

  it("rotates: a ring whose previous key sealed a value opens it and re-seals it under the current key id", () => {
    const oldKey = randomBytes(32);
    const old = new SecretBox(oldKey);
    const sealed = old.encrypt(SECRET, "ctx");
    const newKey = randomBytes(32);
    const ring = new SecretBox([newKey, oldKey]);
    assert.notEqual(ring.keyId, old.keyId);
    assert.deepEqual(ring.keyIds, [ring.keyId, old.keyId]);
    assert.equal(ring.isStale(sealed), true);
    const resealed = ring.reseal(sealed, "ctx");
    assert.equal(resealed.split(":")[1], ring.keyId);
    assert.equal(ring.isStale(resealed), false);
    assert.equal(ring.decrypt(resealed, "ctx"), SECRET);
    // Once re-sealed, the new key alone is enough.
    assert.equal(new SecretBox(newKey).decrypt(resealed, "ctx"), SECRET);
    assert.throws(() => old.decrypt(resealed, "ctx"), /does not hold/);
  });

  it("requires a 32-byte key", () => {
    assert.throws(() => new SecretBox(randomBytes(16)), /32-byte/);
  });
});

describe("loadOrCreateSecretKey", () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), "hotswap-secret-"));
    dirs.push(d);
    return d;
  };
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it("derives a stable 32-byte key from HOTSWAP_SECRET_KEY and writes no file", async () => {
    const dataDir = await tempDir();
    const a = await loadOrCreateSecretKey({ configured: "x".repeat(40), dataDir });
    const b = await loadOrCreateSecretKey({ configured: "x".repeat(40), dataDir });
    const c = await loadOrCreateSecretKey({ configured: "y".repeat(40), dataDir });
    assert.equal(a.length, 32);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.deepEqual(await readdir(dataDir), []);
  });

  it("rejects a configured key shorter than 32 characters", async () => {
    await assert.rejects(loadOrCreateSecretKey({ configured: "short", dataDir: await tempDir() }), /at least 32/);
  });

  it("creates <dataDir>/secret.key with mode 0600 once and reuses it", async () => {
    const dataDir = join(await tempDir(), "nested", "data");
    const first = await loadOrCreateSecretKey({ dataDir });
    const file = join(dataDir, SECRET_KEY_FILE);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const second = await loadOrCreateSecretKey({ dataDir });
    assert.deepEqual(first, second);
    assert.equal(first.length, 32);
    // A box built from either opens what the other sealed: restarts keep SigV4 working.
    assert.equal(new SecretBox(second).decrypt(new SecretBox(first).encrypt(SECRET)), SECRET);
    assert.deepEqual(await readdir(dataDir), [SECRET_KEY_FILE]);
  });

  it("agrees on one key when several callers race to create it", async () => {
    const dataDir = await tempDir();
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSecretKey({ dataDir })));
    for (const k of keys) assert.deepEqual(k, keys[0]);
    assert.deepEqual(await readdir(dataDir), [SECRET_KEY_FILE]);
  });

  it("reads previous keys after the first line of secret.key, and addSecretKeyToFile puts a fresh key first", async () => {
    const dataDir = await tempDir();
    const [first] = await loadSecretKeyring({ dataDir });
    const ring = await addSecretKeyToFile(dataDir);
    assert.equal(ring.length, 2);
    assert.deepEqual(ring[1], first);
    assert.deepEqual(await loadSecretKeyring({ dataDir }), ring);
    assert.equal((await stat(join(dataDir, SECRET_KEY_FILE))).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dataDir), [SECRET_KEY_FILE]);
  });

  it("adds HOTSWAP_PREVIOUS_SECRET_KEYS after HOTSWAP_SECRET_KEY and refuses a short one", async () => {
    const dataDir = await tempDir();
    const ring = await loadSecretKeyring({ configured: "n".repeat(40), previous: ["o".repeat(40)], dataDir });
    assert.deepEqual(ring, [await loadOrCreateSecretKey({ configured: "n".repeat(40), dataDir }), await loadOrCreateSecretKey({ configured: "o".repeat(40), dataDir })]);
    await assert.rejects(loadSecretKeyring({ configured: "n".repeat(40), previous: ["short"], dataDir }), /HOTSWAP_PREVIOUS_SECRET_KEYS/);
  });

  it("refuses a truncated key file instead of silently replacing it", async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, SECRET_KEY_FILE), "short\n", { mode: 0o600 });
    await assert.rejects(loadOrCreateSecretKey({ dataDir }), /at least 32 characters/);
    assert.equal(await readFile(join(dataDir, SECRET_KEY_FILE), "utf8"), "short\n");
  });
});
