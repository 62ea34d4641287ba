/**
 * Code store port: function code packages (zip bytes), content-addressed by sha256.
 * Adapters: S3 protocol (@aws-sdk/client-s3) and a local directory. Both pass code-store.contract.ts.
 */

export interface StoredCode {
  /** Lowercase hex sha256 of the bytes. */
  sha256: string;
  size: number;
  /** Where the object lives, e.g. `s3://bucket/code/ab/abcd….zip` or `file:///…/code/ab/abcd….zip`. */
  location: string;
}

export interface CodeStore {
  readonly kind: "s3" | "fs";
  /** Store bytes under their sha256. Idempotent: storing the same bytes twice is a no-op returning the same result. */
  put(data: Buffer): Promise<StoredCode>;
  /**
   * The bytes, or null when absent. Verifies the sha256 of what it read and throws on mismatch
   * (CodeCorruptError from code-integrity.ts). Throws TypeError for a sha256 that is not 64 hex digits.
   */
  get(sha256: string): Promise<Buffer | null>;
  has(sha256: string): Promise<boolean>;
  delete(sha256: string): Promise<void>;
  /** Throws with a message naming the store when it is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
