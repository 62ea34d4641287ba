/**
 * Encryption at rest for API key secrets. SigV4 verification needs the plain secret
 * (it is an HMAC key), so unlike the Bearer hash it must be recoverable: it is sealed
 * with AES-256-GCM under a server key that never leaves the control plane.
 *
 * Sealed format (versioned so the scheme can change): `v1:<iv>:<tag>:<ciphertext>`,
 * each part base64url.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

const VERSION = "v1";
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

/** Seals and opens short strings with AES-256-GCM. */
export class SecretBox {
  readonly #key: Buffer;

  /** @param key 32 bytes, e.g. from `loadOrCreateSecretKey`. */
  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`SecretBox needs a ${KEY_BYTES}-byte key, got ${key.length} bytes`);
    this.#key = Buffer.from(key);
  }

  /**
   * Seal a string. `context` (e.g. the key id) is bound as additional authenticated data,
   * so a sealed value copied onto another record fails to open.
   */
  encrypt(plaintext: string, context = ""): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, b64(iv), b64(tag), b64(ct)].join(":");
  }

  /** Open a sealed string. Throws when it is malformed, tampered with, or sealed under another key or context. */
  decrypt(sealed: string, context = ""): string {
    const parts = sealed.split(":");
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new Error(`Unsupported sealed secret format (expected "${VERSION}:<iv>:<tag>:<ciphertext>")`);
    }
    const iv = Buffer.from(parts[1], "base64url");
    const tag = Buffer.from(parts[2], "base64url");
    const ct = Buffer.from(parts[3], "base64url");
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error("Malformed sealed secret");
    const decipher = createDecipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
    } catch {
      // Do not surface OpenSSL's message; say what most likely happened.
      throw new Error("Cannot decrypt sealed secret: wrong server key (HOTSWAP_SECRET_KEY changed?) or corrupted data");
    }
  }
}

export interface LoadSecretKeyOptions {
  /** `HOTSWAP_SECRET_KEY` from config. When set, the key is derived from it and no file is touched. */
  configured?: string;
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
  if (opts.configured !== undefined) {
    if (opts.configured.length < MIN_MATERIAL_LENGTH) {
      throw new Error(`HOTSWAP_SECRET_KEY must be at least ${MIN_MATERIAL_LENGTH} characters`);
    }
    return deriveKey(opts.configured);
  }
  const file = join(opts.dataDir, SECRET_KEY_FILE);
  const existing = await readMaterial(file);
  if (existing !== null) return deriveKey(existing);

  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const material = randomBytes(KEY_BYTES).toString("base64url");
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(tmp, material + "\n", { mode: 0o600, flag: "wx" });
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
  return deriveKey(stored);
}

async function readMaterial(file: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  const material = text.trim();
  if (material.length < MIN_MATERIAL_LENGTH) {
    throw new Error(`${file} must hold at least ${MIN_MATERIAL_LENGTH} characters of key material; restore it or remove it to generate a new one (existing API keys then lose SigV4 access)`);
  }
  return material;
}

function deriveKey(material: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(material, "utf8"), HKDF_SALT, HKDF_INFO, KEY_BYTES));
}

function b64(b: Buffer): string {
  return b.toString("base64url");
}
