/**
 * The deterministic zip of a function's files: entries sorted by path, fixed timestamps, modes
 * reduced to 0644/0755, fixed compression level. The same files therefore always give the same
 * bytes and the same sha256, whatever order they were written in and whatever their mtimes.
 * Shared by the Pulumi SDK (infra/sdk/code-package.ts) and `hotswap deploy` (cli/code-zip.ts).
 */
import { zipSync, type Zippable } from "fflate";

export interface PackageFile {
  /** Path inside the zip, with "/" separators and no leading "./". */
  path: string;
  data: Uint8Array;
  executable: boolean;
}

/** DOS time can't go below 1980; local-time fields, so the encoded bytes are the same in every time zone. */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
const COMPRESSION_LEVEL = 6;

/** Builds the deterministic zip from the same sorted file list, whatever produced it. */
export function deterministicZip(files: readonly PackageFile[]): Uint8Array {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const entries: Zippable = {};
  for (const f of sorted) {
    const mode = f.executable ? 0o755 : 0o644;
    entries[f.path] = [f.data, { level: COMPRESSION_LEVEL, mtime: FIXED_MTIME, os: 3, attrs: ((0o100000 | mode) << 16) >>> 0 }];
  }
  return zipSync(entries);
}
