/**
 * Types and limits of a code package (a function's zip), shared by inspectZip and extractZip.
 */
import { MAX_UNZIPPED_CODE_BYTES, MAX_ZIPPED_CODE_BYTES } from "../../protocol/limits.ts";

/** Caps applied while reading a zip. Sizes are in bytes. */
export interface ZipLimits {
  /** Largest accepted zip file. @default 50 MB (MAX_ZIPPED_CODE_BYTES) */
  maxZippedBytes: number;
  /** Largest accepted total of real inflated bytes. @default 250 MB (MAX_UNZIPPED_CODE_BYTES) */
  maxUnzippedBytes: number;
  /** Most entries (files, directories and symlinks) in one zip. @default 20000 */
  maxEntries: number;
}

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxZippedBytes: MAX_ZIPPED_CODE_BYTES,
  maxUnzippedBytes: MAX_UNZIPPED_CODE_BYTES,
  maxEntries: 20_000,
});

/** One entry of a validated zip. */
export interface ZipEntryInfo {
  /** Normalised relative path: `/`-separated, no `.`/`..`/empty segments, no trailing slash. */
  path: string;
  /** Real inflated size in bytes (0 for directories). */
  size: number;
  isDirectory: boolean;
  isSymlink: boolean;
  /** Target of a symlink exactly as stored; relative and verified to resolve inside the code. */
  symlinkTarget?: string;
  /** Unix permission bits from the zip (e.g. 0o755); a default (0o644 file, 0o755 dir, 0o777 link) when the zip has none. */
  mode: number;
}

export interface ZipManifest {
  /** Entries in archive order. Directories the zip only implies (no entry of their own) are not listed. */
  entries: ZipEntryInfo[];
  /** Sum of the real inflated sizes of all entries. */
  totalUncompressed: number;
}
