/**
 * inspectZip: validate an uploaded code package without writing anything, and list its entries.
 * Used by the API before it stores a zip. Shares every check with extractZip (zip-walk.ts).
 */
import { walkZip } from "./zip-walk.ts";
import type { ZipLimits, ZipManifest } from "./zip-manifest.ts";

/**
 * Read the whole zip (inflating every entry to count its real bytes and check its CRC) and return its
 * manifest. Rejects with ApiError (400): CodeTooLarge, InvalidZip or UnsafeZipEntry.
 */
export function inspectZip(buf: Buffer | Uint8Array, limits?: Partial<ZipLimits>): Promise<ZipManifest> {
  return walkZip(buf, limits, {
    directory: async () => {},
    file: async () => null,
    symlink: async () => {},
  });
}
