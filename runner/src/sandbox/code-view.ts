/**
 * A sandboxed instance's view of its code: a copy of the cached tree's shape whose files are hard
 * links to the cache's (root-owned, read-only) files, under a top directory `root:<instance gid>`
 * mode 0550. The cache itself is 0700, so an instance can open its own code and nobody else's,
 * and can change neither (it owns no directory or file of either). Linking costs one syscall per
 * file on a cold start; across filesystems the files are copied instead.
 */
import { chmodSync, chownSync, copyFileSync, linkSync, mkdirSync, readdirSync, readlinkSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";

/** Build the view of `source` at `dest` (which must not exist) for group `gid`. */
export function createCodeView(source: string, dest: string, gid: number): void {
  mkdirSync(dest, { mode: 0o750 });
  linkTree(source, dest);
  chownSync(dest, 0, gid);
  chmodSync(dest, 0o550);
}

function linkTree(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isSymbolicLink()) {
      symlinkSync(readlinkSync(src), dst);
    } else if (entry.isDirectory()) {
      mkdirSync(dst, { mode: 0o755 });
      linkTree(src, dst);
      chmodSync(dst, 0o555);
    } else if (entry.isFile()) {
      try {
        linkSync(src, dst);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EXDEV") throw e;
        copyFileSync(src, dst);
        chmodSync(dst, statSync(src).mode & 0o555);
      }
    }
  }
}
