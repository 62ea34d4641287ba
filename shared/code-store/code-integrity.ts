/**
 * Hashing, key layout and integrity errors shared by the code store adapters.
 */
import { createHash } from "node:crypto";

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The lowercase sha256, or a thrown TypeError for anything that is not 64 hex digits (it becomes a path or key). */
export function checkSha256(sha256: string): string {
  const sha = typeof sha256 === "string" ? sha256.toLowerCase() : "";
  if (!SHA256_HEX.test(sha)) throw new TypeError(`Invalid code sha256 ${JSON.stringify(sha256)}: expected 64 hex digits`);
  return sha;
}

/** Relative object name of a code package: `<sha[0:2]>/<sha>.zip`. */
export function objectName(sha256: string): string {
  return `${sha256.slice(0, 2)}/${sha256}.zip`;
}

/** Thrown by CodeStore.get when the stored bytes no longer hash to their name. */
export class CodeCorruptError extends Error {
  constructor(
    readonly sha256: string,
    readonly actualSha256: string,
    readonly location: string,
  ) {
    super(`Code package ${sha256} is corrupt in the code store: ${location} hashes to ${actualSha256}. Upload the code again.`);
    this.name = "CodeCorruptError";
  }
}
