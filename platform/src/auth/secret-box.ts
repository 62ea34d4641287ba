/**
 * Encryption at rest for API key secrets and function secrets. SigV4 verification needs the plain
 * API key secret (it is an HMAC key) and a function needs its secrets in its environment, so unlike
 * the Bearer hash they must be recoverable: they are sealed with AES-256-GCM under a server key
 * that never leaves the control plane.
 *
 * Keys rotate: a box holds a keyring, the current key (which seals) and previous keys (which only
 * open). Every sealed value names the key that sealed it, `v2:<keyId>:<iv>:<tag>:<ciphertext>`
 * (each part base64url; the key id is a fingerprint of the key, not the key), so a value sealed
 * under a previous key stays readable until it is re-sealed (`hotswap secrets rotate-key`,
 * POST /api/v1/admin/secrets/rotate). Values of the first format, `v1:<iv>:<tag>:<ciphertext>`,
 * carry no key id: every key of the ring is tried, and re-sealing moves them to v2.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { link, mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

const VERSION = "v2";
const LEGACY_VERSION = "v1";
const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Fixed HKDF salt and info: they separate this use of the configured secret from any other. */
const HKDF_SALT = "hotswap/secret-box";
const HKDF_INFO = "hotswap api-key secrets v1";
/** Minimum length of the configured or stored key material (config enforces the same). */
const MIN_MATERIAL_LENGTH = 32;

/** Name of the generated key file inside the data dir. */
export const SECRET_KEY_FILE = "secret.key";

/** The public fingerprint of a key that sealed values carry (8 base64url characters). */
export function secretKeyId(key: Buffer): string {
  return createHash("sha256").update("hotswap/secret-box/key-id\0").update(key).digest().subarray(0, 6).toString("base64url");
}

/** Seals and opens short strings with AES-256-GCM under a keyring: the first key seals, every key opens. */
export class SecretBox {
  readonly #keys: ReadonlyMap<string, Buffer>;
  /** The id of the key new values are sealed under. */
  readonly keyId: string;

  /** @param keys 32 bytes each, e.g. from `loadSecretKeyring`: the current key first, then previous ones (open only). */
  constructor(keys: Buffer | readonly Buffer[]) {
    const ring = Buffer.isBuffer(keys) ? [keys] : keys;
    if (ring.length === 0) throw new Error("SecretBox needs at least one key");
    const byId = new Map<string, Buffer>();
    for (const key of ring) {
      if (key.length !== KEY_BYTES) throw new Error(`SecretBox needs a ${KEY_BYTES}-byte key, got ${key.length} bytes`);
      const id = secretKeyId(key);
      if (!byId.has(id)) byId.set(id, Buffer.from(key));
    }
    this.#keys = byId;
    this.keyId = secretKeyId(ring[0]);
  }

  /** The ids of every key this box can open with, the current one first. */
  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  /**
   * Seal a string under the current key. `context` (e.g. the key id) is bound as additional
   * authenticated data, so a sealed value copied onto another record fails to open.
   */
  encrypt(plaintext: string, context = ""): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#keys.get(this.keyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.keyId, b64(iv), b64(tag), b64(ct)].join(":");
  }

  /**
   * Open a sealed string. Throws when it is malformed, tampered with, sealed under a key this box
   * does not hold, or sealed for another context. The message never contains the plaintext.
   */
  decrypt(sealed: string, context = ""): string {
    const parts = sealed.split(":");
    if (parts[0] === VERSION && parts.length === 5) {
      const key = this.#keys.get(parts[1]);
      if (key === undefined) {
        throw new Error(
          `Cannot decrypt sealed secret: it was sealed under key id "${parts[1]}", which this server does not hold (its keys: ${this.keyIds.join(", ")}; HOTSWAP_SECRET_KEY changed?). ` +
            "Give the previous key in HOTSWAP_PREVIOUS_SECRET_KEYS (or as a further line of secret.key) until every value is re-sealed.",
        );
      }
      return open(key, parts.slice(2), context);
    }
    if (parts[0] === LEGACY_VERSION && parts.length === 4) {
      for (const key of this.#keys.values()) {
        try {
          return open(key, parts.slice(1), context);
        } catch (e) {
          if ((e as Error).message === MALFORMED) throw e;
        }
      }
      throw new Error(WRONG_KEY);
    }
    throw new Error(`Unsupported sealed secret format (expected "${VERSION}:<keyId>:<iv>:<tag>:<ciphertext>")`);
  }

  /** True when `sealed` is not sealed under the current key (a previous key's, or the v1 format): re-sealing would change it. */
  isStale(sealed: string): boolean {
    return !sealed.startsWith(`${VERSION}:${this.keyId}:`);
  }

  /** Open under whichever key sealed it, seal under the current one (same context). */
  reseal(sealed: string, context = ""): string {
    return this.encrypt(this.decrypt(sealed, context), context);
  }
}

const MALFORMED = "Malformed sealed secret";
const WRONG_KEY = "Cannot decrypt sealed secret: wrong server key (HOTSWAP_SECRET_KEY changed?) or corrupted data";

function open(key: Buffer, [ivText, tagText, ctText]: string[], context: string): string {
  const iv = Buffer.from(ivText, "base64url");
  const tag = Buffer.from(tagText, "base64url");
  const ct = Buffer.from(ctText, "base64url");
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error(MALFORMED);
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
  } catch {
    // Do not surface OpenSSL's message; say what most likely happened.
    throw new Error(WRONG_KEY);
  }
}

export interface LoadSecretKeyOptions {
  /** `HOTSWAP_SECRET_KEY` from config. When set, the key is derived from it and no file is touched. */
  configured?: string;
  /** `HOTSWAP_PREVIOUS_SECRET_KEYS`: earlier values of HOTSWAP_SECRET_KEY, still opened until every value is re-sealed. */
  previous?: readonly string[];
  /** Data dir where `secret.key` is read or created (mode 0600) when `configured` is unset. */
  dataDir: string;
}

/**
 * The 32-byte server key: HKDF-SHA256 of `HOTSWAP_SECRET_KEY`, or of the material in
 * `<dataDir>/secret.key`, which is generated once when missing. Creation is atomic
 * (write a temp file, then hard-link it into place), so replicas sharing a data dir
 * agree on one key.
 */
export async function loadOrCreateSecretKey(opts: LoadSecretKeyOptions): Promise<Buffer> {
  return (await loadSecretKeyring(opts))[0];
}

/**
 * The keyring, current key first: HOTSWAP_SECRET_KEY then HOTSWAP_PREVIOUS_SECRET_KEYS when one is
 * configured, else the lines of `<dataDir>/secret.key` (the first seals; later lines are previous
 * keys), the file being created with one fresh key when missing.
 */
export async function loadSecretKeyring(opts: LoadSecretKeyOptions): Promise<Buffer[]> {
  if (opts.configured !== undefined) {
    const all = [opts.configured, ...(opts.previous ?? [])];
    if (all.some((m) => m.length < MIN_MATERIAL_LENGTH)) {
      throw new Error(`HOTSWAP_SECRET_KEY and every HOTSWAP_PREVIOUS_SECRET_KEYS entry must be at least ${MIN_MATERIAL_LENGTH} characters`);
    }
    return all.map(deriveKey);
  }
  const file = join(opts.dataDir, SECRET_KEY_FILE);
  const existing = await readMaterial(file);
  if (existing !== null) return existing.map(deriveKey);

  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const tmp = await writeTemp(file, [newMaterial()]);
  try {
    await link(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    // Another process created it first: use theirs.
  } finally {
    await unlink(tmp).catch(() => {});
  }
  const stored = await readMaterial(file);
  if (stored === null) throw new Error(`Could not create ${file}`);
  return stored.map(deriveKey);
}

/**
 * Put a fresh key at the head of `<dataDir>/secret.key`, keeping the earlier keys as previous
 * ones (atomic replace). Returns the new keyring. Only for the key file: with HOTSWAP_SECRET_KEY
 * the operator sets the new key and lists the old one in HOTSWAP_PREVIOUS_SECRET_KEYS.
 */
export async function addSecretKeyToFile(dataDir: string): Promise<Buffer[]> {
  const file = join(dataDir, SECRET_KEY_FILE);
  const existing = (await readMaterial(file)) ?? [];
  const lines = [newMaterial(), ...existing];
  const tmp = await writeTemp(file, lines);
  await rename(tmp, file);
  return lines.map(deriveKey);
}

function newMaterial(): string {
  return randomBytes(KEY_BYTES).toString("base64url");
}

async function writeTemp(file: string, lines: string[]): Promise<string> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(tmp, lines.join("\n") + "\n", { mode: 0o600, flag: "wx" });
  return tmp;
}

/** The key file's lines (current first), or null when there is no file. */
async function readMaterial(file: string): Promise<string[] | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  if (lines.length === 0 || lines.some((l) => l.length < MIN_MATERIAL_LENGTH)) {
    throw new Error(`${file} must hold at least ${MIN_MATERIAL_LENGTH} characters of key material on each line; restore it or remove it to generate a new one (existing API keys then lose SigV4 access and function secrets are lost)`);
  }
  return lines;
}

function deriveKey(material: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(material, "utf8"), HKDF_SALT, HKDF_INFO, KEY_BYTES));
}

function b64(b: Buffer): string {
  return b.toString("base64url");
}
