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

/** What the store knows of one object without reading it: for garbage collection by age. */
export interface CodeObject {
  /** Lowercase hex sha256 the object is stored under. */
  sha256: string;
  size: number;
  /** When the object was last stored: its first upload, or a later put of the same bytes (which refreshes it). */
  modifiedAt: Date;
}

export interface CodeStore {
  readonly kind: "s3" | "fs";
  /**
   * Store bytes under their sha256. Idempotent: storing the same bytes twice returns the same result
   * and uploads nothing again, but refreshes the object's modifiedAt, so a garbage collector that
   * spares young objects spares one that is about to be referenced again.
   */
  put(data: Buffer): Promise<StoredCode>;
  /**
   * The bytes, or null when absent. Verifies the sha256 of what it read and throws on mismatch
   * (CodeCorruptError from code-integrity.ts). Throws TypeError for a sha256 that is not 64 hex digits.
   */
  get(sha256: string): Promise<Buffer | null>;
  has(sha256: string): Promise<boolean>;
  /** Size and modifiedAt of a stored object, or null when absent. */
  stat(sha256: string): Promise<CodeObject | null>;
  /** Every stored code object, in no particular order; anything else in the store (temp files, foreign keys) is skipped. */
  list(): AsyncIterable<CodeObject>;
  delete(sha256: string): Promise<void>;
  /** Throws with a message naming the store when it is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
