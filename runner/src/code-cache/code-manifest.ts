/**
 * What an extracted code tree must contain, so that a tree changed after extraction is noticed
 * before an instance loads it. The manifest (`<sha>.manifest.json` next to the tree, written by
 * the runner at extraction) lists every file with its sha256, size and mode, every directory and
 * every symlink. A full check hashes every file: done the first time a runner process uses a tree
 * (a tree left by an earlier run is not trusted). It then keeps a stat snapshot (inode, size, mode,
 * owner, mtime), so later loads of the same tree cost one lstat per entry instead of reading every
 * byte. Not ctime: the sandbox's code views hard-link the files, and every link or unlink moves it.
 * Only the runner's own user (root) could rewrite a file and then reset its mtime.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";

export interface CodeManifest {
  version: 1;
  files: Record<string, { sha256: string; size: number; mode: number }>;
  dirs: string[];
  symlinks: Record<string, string>;
}

/** Per entry: what lstat said when the tree was last verified in full. */
export type TreeSnapshot = Map<string, string>;

interface Entry {
  rel: string;
  kind: "file" | "dir" | "symlink" | "other";
  abs: string;
}

async function walk(root: string, rel = "", out: Entry[] = []): Promise<Entry[]> {
  for (const d of await readdir(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    const abs = join(root, r);
    if (d.isSymbolicLink()) out.push({ rel: r, kind: "symlink", abs });
    else if (d.isDirectory()) {
      out.push({ rel: r, kind: "dir", abs });
      await walk(root, r, out);
    } else if (d.isFile()) out.push({ rel: r, kind: "file", abs });
    else out.push({ rel: r, kind: "other", abs });
  }
  return out;
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash("sha256");
    createReadStream(path)
      .on("data", (c) => h.update(c))
      .on("error", reject)
      .on("end", () => resolve(h.digest("hex")));
  });
}

function statKey(st: { ino: number; size: number; mode: number; uid: number; mtimeMs: number }): string {
  return `${st.ino}:${st.size}:${st.mode}:${st.uid}:${st.mtimeMs}`;
}

/** Describe a freshly extracted (and already read-only) tree. */
export async function buildManifest(root: string): Promise<CodeManifest> {
  const m: CodeManifest = { version: 1, files: {}, dirs: [], symlinks: {} };
  for (const e of await walk(root)) {
    if (e.kind === "dir") m.dirs.push(e.rel);
    else if (e.kind === "symlink") m.symlinks[e.rel] = await readlink(e.abs);
    else if (e.kind === "file") {
      const st = await lstat(e.abs);
      m.files[e.rel] = { sha256: await hashFile(e.abs), size: st.size, mode: st.mode & 0o7777 };
    }
  }
  return m;
}

export async function readManifest(path: string): Promise<CodeManifest | undefined> {
  try {
    const m = JSON.parse(await readFile(path, "utf8")) as CodeManifest;
    return m.version === 1 && m.files && m.dirs && m.symlinks ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Hash every file of `root` against `manifest`. Returns the snapshot for later quick checks, or
 * what is wrong (the first difference found).
 */
export async function verifyTree(root: string, manifest: CodeManifest, ownerUid: number | undefined): Promise<{ snapshot: TreeSnapshot } | { problem: string }> {
  const snapshot: TreeSnapshot = new Map();
  const seen = new Set<string>();
  let entries: Entry[];
  try {
    entries = await walk(root);
    snapshot.set("", statKey(await lstat(root)));
  } catch (e) {
    return { problem: `cannot read the tree (${(e as Error).message})` };
  }
  const dirs = new Set(manifest.dirs);
  for (const e of entries) {
    seen.add(e.rel);
    const st = await lstat(e.abs);
    if (ownerUid !== undefined && st.uid !== ownerUid) return { problem: `${e.rel} is owned by uid ${st.uid}` };
    if (e.kind === "dir") {
      if (!dirs.has(e.rel)) return { problem: `${e.rel}/ is not in the manifest` };
      if ((st.mode & 0o222) !== 0) return { problem: `${e.rel}/ is writable (mode ${(st.mode & 0o7777).toString(8)})` };
    } else if (e.kind === "symlink") {
      if (manifest.symlinks[e.rel] !== (await readlink(e.abs))) return { problem: `symlink ${e.rel} differs from the manifest` };
    } else if (e.kind === "file") {
      const want = manifest.files[e.rel];
      if (!want) return { problem: `${e.rel} is not in the manifest` };
      if (st.size !== want.size || (st.mode & 0o7777) !== want.mode) return { problem: `${e.rel} changed size or mode` };
      if ((await hashFile(e.abs)) !== want.sha256) return { problem: `${e.rel} does not match its sha256` };
    } else {
      return { problem: `${e.rel} is neither a file, a directory nor a symlink` };
    }
    snapshot.set(e.rel, statKey(st));
  }
  for (const rel of [...Object.keys(manifest.files), ...manifest.dirs, ...Object.keys(manifest.symlinks)]) {
    if (!seen.has(rel)) return { problem: `${rel} is missing` };
  }
  return { snapshot };
}

/**
 * Compare the tree with a snapshot taken by verifyTree(): one lstat per entry, all at once (this
 * runs on every cold start: sequential round trips through the thread pool add up under load).
 * Returns what changed, or undefined.
 */
export async function quickCheck(root: string, snapshot: TreeSnapshot): Promise<string | undefined> {
  try {
    const [rootStat, entries] = await Promise.all([lstat(root), walk(root)]);
    if (snapshot.get("") !== statKey(rootStat)) return "the tree's root directory changed";
    if (entries.length !== snapshot.size - 1) return "entries were added or removed";
    const added = entries.find((e) => !snapshot.has(e.rel));
    if (added) return `${added.rel} was added`;
    const stats = await Promise.all(entries.map((e) => lstat(e.abs)));
    const changed = entries.findIndex((e, i) => snapshot.get(e.rel) !== statKey(stats[i]!));
    if (changed >= 0) return `${entries[changed]!.rel} changed`;
    return undefined;
  } catch (e) {
    return `cannot read the tree (${(e as Error).message})`;
  }
}
