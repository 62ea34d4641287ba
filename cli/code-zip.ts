/**
 * `hotswap deploy <dir>`'s code package: every file under the directory (following symlinks,
 * skipping `.git`), zipped deterministically (shared/code-package/deterministic-zip.ts), so the
 * same tree always gives the same bytes and sha256.
 */
import { createHash } from "node:crypto";
import { readFile, readdir, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { MAX_ZIPPED_CODE_BYTES } from "../protocol/limits.ts";
import { deterministicZip, type PackageFile } from "../shared/code-package/deterministic-zip.ts";
import { CliError, EXIT } from "./exit-codes.ts";

export interface DirectoryZip {
  zip: Uint8Array;
  sha256: string;
  fileCount: number;
}

async function walk(root: string, dir: string, out: PackageFile[], seen: Set<string>): Promise<void> {
  const real = await realpath(dir);
  if (seen.has(real)) return; // a symlink loop
  seen.add(real);
  for (const name of (await readdir(dir)).sort()) {
    if (name === ".git") continue;
    const p = join(dir, name);
    const st = await stat(p).catch(() => undefined); // a dangling symlink is skipped
    if (st?.isDirectory()) await walk(root, p, out, seen);
    else if (st?.isFile()) out.push({ path: relative(root, p).split(sep).join("/"), data: await readFile(p), executable: (st.mode & 0o111) !== 0 });
  }
  seen.delete(real);
}

export async function zipDirectory(dir: string): Promise<DirectoryZip> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new CliError(`${dir} is not a directory; pass the directory holding the function's code.`, EXIT.usage);
  const files: PackageFile[] = [];
  await walk(dir, dir, files, new Set());
  if (files.length === 0) throw new CliError(`${dir} holds no files.`, EXIT.usage);
  const zip = deterministicZip(files);
  if (zip.length > MAX_ZIPPED_CODE_BYTES) throw new CliError(`${dir} zips to ${zip.length} bytes; the platform takes at most ${MAX_ZIPPED_CODE_BYTES} bytes zipped.`);
  return { zip, sha256: createHash("sha256").update(zip).digest("hex"), fileCount: files.length };
}
