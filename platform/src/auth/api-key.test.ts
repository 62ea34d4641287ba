import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { API_KEY_PATTERN } from "../config.ts";
import {
  accessKeyIdFor,
  formatApiKey,
  generateApiKey,
  hashSecret,
  keyIdFromAccessKeyId,
  parseApiKey,
  verifySecret,
} from "./api-key.ts";

const SECRET = "A".repeat(16) + "b".repeat(16) + "0123456789";

describe("parseApiKey", () => {
  it("splits a well-formed key into id and secret", () => {
    assert.deepEqual(parseApiKey(`hs_abcd1234_${SECRET}`), { id: "abcd1234", secret: SECRET });
  });

  it("returns null for keys that break the format", () => {
    for (const bad of [
      "",
      `hs_abc_${SECRET}`, // id too short
      `hs_ABCD1234_${SECRET}`, // id upper case
      `hs_${"a".repeat(33)}_${SECRET}`, // id too long
      "hs_abcd1234_" + "a".repeat(31), // secret too short
      `hs_abcd1234_${SECRET}-x`, // secret outside [A-Za-z0-9]
      `xx_abcd1234_${SECRET}`,
      `Bearer hs_abcd1234_${SECRET}`,
      `hs_abcd1234_${SECRET}\n`,
    ]) {
      assert.equal(parseApiKey(bad), null, JSON.stringify(bad));
    }
  });
});

describe("generateApiKey", () => {
  it("produces a 12-char id and a 40-char secret that parse back", () => {
    const { key, id, secret } = generateApiKey();
    assert.match(id, /^[a-z0-9]{12}$/);
    assert.match(secret, /^[A-Za-z0-9]{40}$/);
    assert.equal(key, `hs_${id}_${secret}`);
    assert.match(key, API_KEY_PATTERN);
    assert.deepEqual(parseApiKey(key), { id, secret });
  });

  it("never repeats across many keys", () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateApiKey().key));
    assert.equal(keys.size, 200);
  });
});

describe("hashSecret and verifySecret", () => {
  it("hashes to hex sha256", () => {
    assert.equal(hashSecret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("accepts the right secret and rejects a wrong one", () => {
    const h = hashSecret(SECRET);
    assert.equal(verifySecret(SECRET, h), true);
    assert.equal(verifySecret(SECRET + "x", h), false);
  });

  it("returns false rather than throwing for a malformed stored hash", () => {
    assert.equal(verifySecret(SECRET, "not-hex"), false);
    assert.equal(verifySecret(SECRET, ""), false);
    assert.equal(verifySecret(SECRET, hashSecret(SECRET).slice(0, 62)), false);
  });
});

describe("access key ids", () => {
  it("maps id to hs_<id> and back", () => {
    assert.equal(accessKeyIdFor("abcd1234"), "hs_abcd1234");
    assert.equal(keyIdFromAccessKeyId("hs_abcd1234"), "abcd1234");
    assert.equal(formatApiKey("abcd1234", SECRET), `hs_abcd1234_${SECRET}`);
  });

  it("rejects access key ids that are not hs_<id>", () => {
    assert.equal(keyIdFromAccessKeyId("AKIAIOSFODNN7EXAMPLE"), null);
    assert.equal(keyIdFromAccessKeyId(`hs_abcd1234_${SECRET}`), null);
    assert.equal(keyIdFromAccessKeyId("hs_ab"), null);
  });
});
