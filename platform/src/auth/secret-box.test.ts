import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOrCreateSecretKey, SECRET_KEY_FILE, SecretBox } from "./secret-box.ts";

const SECRET = "s3cretS3cretS3cretS3cretS3cretS3cret0123";

describe("SecretBox", () => {
  const box = new SecretBox(randomBytes(32));

  it("round-trips a string in the v1:<iv>:<tag>:<ct> base64url format", () => {
    const sealed = box.encrypt(SECRET, "abcd1234");
    assert.match(sealed, /^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    assert.ok(!sealed.includes(SECRET));
    assert.equal(box.decrypt(sealed, "abcd1234"), SECRET);
  });

  it("uses a fresh IV each time", () => {
    assert.notEqual(box.encrypt(SECRET), box.encrypt(SECRET));
  });

  it("refuses a tampered ciphertext or tag", () => {
    const [v, iv, tag, ct] = box.encrypt(SECRET).split(":");
    const flip = (s: string) => {
      const b = Buffer.from(s, "base64url");
      b[0] ^= 1;
      return b.toString("base64url");
    };
    assert.throws(() => box.decrypt([v, iv, tag, flip(ct)].join(":")), /Cannot decrypt/);
    assert.throws(() => box.decrypt([v, iv, flip(tag), ct].join(":")), /Cannot decrypt/);
  });

  it("refuses a value sealed for another context (key id)", () => {
    assert.throws(() => box.decrypt(box.encrypt(SECRET, "aaaa1111"), "bbbb2222"), /Cannot decrypt/);
  });

  it("refuses a value sealed under another server key, without leaking the plaintext", () => {
    const other = new SecretBox(randomBytes(32));
    assert.throws(
      () => other.decrypt(box.encrypt(SECRET)),
      (e: Error) => /HOTSWAP_SECRET_KEY/.test(e.message) && !e.message.includes(SECRET),
    );
  });

  it("refuses unknown versions and malformed values", () => {
    assert.throws(() => box.decrypt("v2:a:b:c"), /Unsupported/);
    assert.throws(() => box.decrypt("garbage"), /Unsupported/);
    assert.throws(() => box.decrypt("v1:AAAA:AAAA:AAAA"), /Malformed/);
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

  it("refuses a truncated key file instead of silently replacing it", async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, SECRET_KEY_FILE), "short\n", { mode: 0o600 });
    await assert.rejects(loadOrCreateSecretKey({ dataDir }), /at least 32 characters/);
    assert.equal(await readFile(join(dataDir, SECRET_KEY_FILE), "utf8"), "short\n");
  });
});
