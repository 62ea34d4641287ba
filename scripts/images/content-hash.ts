/**
 * Content hashes that decide whether an image is stale. An image carries its hash in the
 * `org.hotswap.content-hash` label; a rerun with the same inputs finds it and builds nothing.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

export const HASH_LABEL = "org.hotswap.content-hash";

/** A short sha256 of JSON-serialisable parts (order matters). */
export function hashOf(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 24);
}

/** Directory names never worth hashing: they never belong in an image context. */
const SKIP_DIRS = new Set(["node_modules", "__pycache__", ".pytest_cache", ".git"]);

/**
 * Hash every file under `dir` (path, executable bit and content), sorted, so any edit to a
 * Dockerfile or bootstrap changes it. Files that .dockerignore leaves out are hashed too: at worst
 * that costs a rebuild, never a stale image.
 */
export async function hashTree(dir: string): Promise<string> {
  const h = createHash("sha256");
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const relPath = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await walk(relPath);
      } else if (e.isFile()) {
        const full = join(dir, relPath);
        const mode = (await stat(full)).mode & 0o111 ? "x" : "-";
        h.update(`${relPath}\0${mode}\0`);
        h.update(await readFile(full));
        h.update("\0");
      } else if (e.isSymbolicLink()) {
        h.update(`${relPath}\0link\0`);
      }
    }
  };
  await walk("");
  return h.digest("hex").slice(0, 24);
}

/** A cheap fingerprint of a large file (a node binary, libpython): path, size and mtime. */
export async function fileFingerprint(path: string): Promise<string> {
  const s = await stat(path);
  return `${path}:${s.size}:${Math.round(s.mtimeMs)}`;
}
