/**
 * API key format: `hs_<id>_<secret>`. Owns parsing, generation and the hash that
 * Bearer authentication checks against. The id is public (it is also the SigV4
 * access key id `hs_<id>`); only the secret is sensitive.
 */
import { createHash, randomInt, timingSafeEqual } from "node:crypto";
import { API_KEY_PATTERN } from "../config.ts";

/** Prefix of every key and of the SigV4 access key id. */
export const API_KEY_PREFIX = "hs_";

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const GENERATED_ID_LENGTH = 12;
const GENERATED_SECRET_LENGTH = 40;

export interface ParsedApiKey {
  id: string;
  secret: string;
}

export interface GeneratedApiKey extends ParsedApiKey {
  /** The whole key, `hs_<id>_<secret>`: shown to the user once, never stored. */
  key: string;
}

/** Split `hs_<id>_<secret>` into its parts, or null when it is not a well-formed key. */
export function parseApiKey(s: string): ParsedApiKey | null {
  const m = API_KEY_PATTERN.exec(s);
  return m ? { id: m[1], secret: m[2] } : null;
}

/** Join an id and a secret into the key string. */
export function formatApiKey(id: string, secret: string): string {
  return `${API_KEY_PREFIX}${id}_${secret}`;
}

/** The SigV4 access key id for a key id: `hs_<id>`. */
export function accessKeyIdFor(id: string): string {
  return `${API_KEY_PREFIX}${id}`;
}

const ACCESS_KEY_ID_PATTERN = /^hs_([a-z0-9]{4,32})$/;

/** The key id inside a SigV4 access key id, or null when it is not of the form `hs_<id>`. */
export function keyIdFromAccessKeyId(accessKeyId: string): string | null {
  const m = ACCESS_KEY_ID_PATTERN.exec(accessKeyId);
  return m ? m[1] : null;
}

/** A fresh key from the CSPRNG: a 12-char id and a 40-char secret (~238 bits). */
export function generateApiKey(): GeneratedApiKey {
  const id = randomString(ID_ALPHABET, GENERATED_ID_LENGTH);
  const secret = randomString(SECRET_ALPHABET, GENERATED_SECRET_LENGTH);
  return { key: formatApiKey(id, secret), id, secret };
}

/**
 * Hex sha256 of the secret. A plain hash (no salt, no KDF) is enough here: secrets are
 * 32+ random characters, so there is nothing to brute-force, and Bearer checks stay cheap.
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Constant-time check of a presented secret against a stored `hashSecret` value. */
export function verifySecret(secret: string, hash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), "hex");
  const expected = Buffer.from(hash, "hex");
  // A malformed stored hash decodes to a different length: never equal, and no throw.
  if (expected.length !== actual.length) return false;
  return timingSafeEqual(actual, expected);
}

function randomString(alphabet: string, length: number): string {
  let out = "";
  // randomInt is uniform (rejection sampling inside), so no modulo bias.
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}
