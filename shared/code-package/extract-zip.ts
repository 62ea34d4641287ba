/**
 * extractZip: write a code package into an empty directory, once per version, on the runner.
 * Applies the checks of inspectZip (the same walker), then writes with O_EXCL|O_NOFOLLOW so that no
 * write can land outside destDir even through a race. Executable bits survive: a `provided`
 * runtime's `bootstrap` stays runnable.
 */
import { constants } from "node:fs";
import { mkdir, open, readdir, rm, symlink } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { Writable } from "node:stream";
import { walkZip } from "./zip-walk.ts";
import type { ZipLimits, ZipManifest } from "./zip-manifest.ts";

/**
 * Extract `buf` into `destDir`, which must exist and be empty. Files get mode 0755 when the zip marks
 * any execute bit, else 0644; directories 0755; symlinks are recreated as stored (all verified to stay
 * inside). Rejects with ApiError (CodeTooLarge, InvalidZip, UnsafeZipEntry) and then leaves destDir
 * empty again. Returns the manifest.
 */
export async function extractZip(buf: Buffer | Uint8Array, destDir: string, limits?: Partial<ZipLimits>): Promise<ZipManifest> {
  const root = resolve(destDir);
  const existing = await readdir(root);
  if (existing.length > 0) throw new Error(`extractZip: ${root} must be empty (it holds ${existing.length} entries)`);

  const target = (path: string): string => {
    const abs = join(root, ...path.split("/"));
    // Defence in depth: zip-walk already refused every path that could get here otherwise.
    if (!abs.startsWith(root + sep)) throw new Error(`extractZip: refusing to write outside ${root}: ${path}`);
    return abs;
  };

  try {
    return await walkZip(buf, limits, {
      async directory(entry) {
        await mkdir(target(entry.path), { recursive: true, mode: 0o755 });
      },
      async file(entry): Promise<Writable> {
        const abs = target(entry.path);
        await mkdir(dirname(abs), { recursive: true, mode: 0o755 });
        const mode = entry.mode & 0o111 ? 0o755 : 0o644;
        const fh = await open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
        try {
          await fh.chmod(mode); // the process umask must not strip the execute bits
        } catch (e) {
          await fh.close();
          throw e;
        }
        return fh.createWriteStream();
      },
      async symlink(entry) {
        const abs = target(entry.path);
        await mkdir(dirname(abs), { recursive: true, mode: 0o755 });
        await symlink(entry.symlinkTarget, abs);
      },
    });
  } catch (e) {
    await emptyDir(root);
    throw e;
  }
}

async function emptyDir(root: string): Promise<void> {
  const names = await readdir(root).catch(() => [] as string[]);
  await Promise.all(names.map((n) => rm(join(root, n), { recursive: true, force: true })));
}
