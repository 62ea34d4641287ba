/**
 * The runner's local cache of extracted code packages: `<dir>/<sha256>/`, one read-only tree per
 * code sha, owned by the runner in a 0700 directory (sandboxed functions see only their own tree,
 * through a view of hard links, and can change none), with its
 * manifest `<sha256>.manifest.json` beside it. A package is downloaded from the code store and
 * extracted once; concurrent requests for one sha share that work, and a hit never touches the
 * store. Trees appear atomically (extract into a temp dir, then rename). Every load checks the
 * tree against its manifest (code-manifest.ts) and extracts it again when it was changed; trees
 * no live version uses are removed by gc() once idle.
 *
 * Layers: each layer version's zip is a package like any other (cached by its sha), and the
 * layers of a version are merged into one more read-only tree, `<dir>/<layer-set key>/`, keyed
 * by the ordered layer shas (layerSetKey), with later layers overriding earlier ones file by file
 * (hard links to the layer trees, so a merge costs no copy). That tree is what appears at /opt.
 */
import { createHash } from "node:crypto";
import { chmod, copyFile, link, lstat, mkdir, mkdtemp, readdir, readlink, rename, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { extractZip } from "../../../shared/code-package/index.ts";
import type { CodeStore } from "../../../shared/code-store/code-store.ts";
import { buildManifest, quickCheck, readManifest, verifyTree, type TreeSnapshot } from "./code-manifest.ts";

export interface CodeCacheOptions {
  /** Directory that holds one sub-directory per code sha256. Created when missing (mode 0700). */
  dir: string;
  /** Where packages come from; only `get` is used. */
  codeStore: Pick<CodeStore, "get">;
  /** Told when a cached tree no longer matches its manifest (it is then extracted again). */
  onTampered?: (sha256: string, problem: string) => void;
}

export interface CodeCacheGcOptions {
  /** Whether a live version (a pool on this runner) uses the tree; those are never removed. */
  isLive: (sha256: string) => boolean;
  /** A tree not loaded for this long (by any runner sharing the directory) is removed. */
  maxIdleMs: number;
  /** @default Date.now() */
  now?: number;
}

export interface CodeCacheSize {
  /** Extracted packages on disk. */
  entries: number;
  /** Bytes of their files. */
  bytes: number;
}

/** The code store has no package with this sha256 (deleted, or never uploaded to this store). */
export class CodeNotFoundError extends Error {
  constructor(readonly sha256: string) {
    super(`code package ${sha256} is not in the code store; re-upload the function's code`);
    this.name = "CodeNotFoundError";
  }
}

const SHA256 = /^[a-f0-9]{64}$/;

export class CodeCache {
  private readonly dir: string;
  private readonly store: Pick<CodeStore, "get">;
  /** Loads in progress, by sha: concurrent callers share one check (and one extraction). */
  private readonly pending = new Map<string, Promise<string>>();
  /** Trees verified in full by this process, with the stat snapshot later loads compare against. */
  private readonly trusted = new Map<string, TreeSnapshot>();
  private readonly ownerUid = typeof process.getuid === "function" ? process.getuid() : undefined;

  constructor(private readonly opts: CodeCacheOptions) {
    this.dir = opts.dir;
    this.store = opts.codeStore;
  }

  /**
   * The read-only directory holding the extracted package `sha256`, checked against its manifest:
   * downloaded the first time, extracted again when the tree was changed since.
   */
  ensure(sha256: string): Promise<string> {
    return this.shared(sha256, () => this.load(sha256, (tmp) => this.fillFromStore(sha256, tmp)));
  }

  /**
   * The read-only tree of `layerShas` merged in order (a later layer's file replaces an earlier
   * one's at the same path), checked against its manifest like a package. Its name is
   * layerSetKey(layerShas).
   */
  ensureLayers(layerShas: readonly string[]): Promise<string> {
    if (layerShas.length === 0) throw new Error("ensureLayers(): no layers given");
    for (const sha of layerShas) assertSha(sha);
    const key = layerSetKey(layerShas);
    return this.shared(key, () =>
      this.load(key, async (tmp) => {
        // Every layer settles before a failure is reported: no extraction is left running behind it.
        const settled = await Promise.allSettled(layerShas.map((sha) => this.ensure(sha)));
        const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
        for (const r of settled) await mergeTree((r as PromiseFulfilledResult<string>).value, tmp);
      }),
    );
  }

  /** Concurrent callers for one key share one load. */
  private shared(key: string, load: () => Promise<string>): Promise<string> {
    const known = this.pending.get(key);
    if (known !== undefined) return known;
    const p = load().finally(() => {
      if (this.pending.get(key) === p) this.pending.delete(key);
    });
    this.pending.set(key, p);
    return p;
  }

  /** Remove a package's tree. Callers make sure no instance still runs from it. */
  async evict(sha256: string): Promise<void> {
    assertSha(sha256);
    await this.pending.get(sha256)?.catch(() => {});
    await this.discard(sha256);
  }

  /**
   * Remove the trees no live version uses and nobody loaded for `maxIdleMs` (the manifest's mtime
   * is the last load, by any runner sharing the directory; live trees are touched here, so a
   * warm instance's tree stays fresh). Also removes extractions abandoned that long ago.
   * Returns the shas removed.
   */
  async gc(opts: CodeCacheGcOptions): Promise<string[]> {
    const now = opts.now ?? Date.now();
    const removed: string[] = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (name.startsWith(".extract-")) {
        const st = await lstat(join(this.dir, name)).catch(() => undefined);
        if (st && now - st.mtimeMs > opts.maxIdleMs) await removeTree(join(this.dir, name));
        continue;
      }
      if (!SHA256.test(name) || this.pending.has(name)) continue;
      if (opts.isLive(name)) {
        await this.touch(name);
        continue;
      }
      const st = await stat(this.manifestPath(name)).catch(() => stat(join(this.dir, name)).catch(() => undefined));
      if (st && now - st.mtimeMs <= opts.maxIdleMs) continue;
      await this.discard(name);
      removed.push(name);
    }
    return removed;
  }

  /** How many packages are extracted and how many bytes their files take. */
  async size(): Promise<CodeCacheSize> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    let entries = 0;
    let bytes = 0;
    for (const name of names) {
      if (!SHA256.test(name)) continue; // temp dirs of extractions in progress
      entries++;
      bytes += await treeBytes(join(this.dir, name));
    }
    return { entries, bytes };
  }

  private manifestPath(sha256: string): string {
    return join(this.dir, `${sha256}.manifest.json`);
  }

  private async load(sha256: string, fill: (tmp: string) => Promise<void>): Promise<string> {
    assertSha(sha256);
    const final = join(this.dir, sha256);
    const snapshot = this.trusted.get(sha256);
    if (snapshot) {
      const changed = await quickCheck(final, snapshot);
      if (changed === undefined) {
        void this.touch(sha256); // gc's bookkeeping: the cold start need not wait for it
        return final;
      }
      this.opts.onTampered?.(sha256, changed);
      await this.discard(sha256);
    } else if (await exists(final)) {
      // Extracted by an earlier run or another runner: trusted only once every file's hash matches.
      const manifest = await readManifest(this.manifestPath(sha256));
      const checked = manifest ? await verifyTree(final, manifest, this.ownerUid) : { problem: "it has no manifest" };
      if ("snapshot" in checked) {
        this.trusted.set(sha256, checked.snapshot);
        await this.touch(sha256);
        return final;
      }
      this.opts.onTampered?.(sha256, checked.problem);
      await this.discard(sha256);
    }
    await this.extract(sha256, final, fill);
    return final;
  }

  private async fillFromStore(sha256: string, tmp: string): Promise<void> {
    const zip = await this.store.get(sha256);
    if (zip === null) throw new CodeNotFoundError(sha256);
    await extractZip(zip, tmp);
  }

  private async extract(sha256: string, final: string, fill: (tmp: string) => Promise<void>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // Only the runner lists or opens the cache: a sandboxed instance reads its own code through a
    // view the sandbox links for it (runner/src/sandbox/code-view.ts), never another function's.
    await chmod(this.dir, 0o700);
    await writeScopeBoundary(this.dir);
    const tmp = await mkdtemp(join(this.dir, `.extract-${sha256.slice(0, 12)}-`));
    try {
      await fill(tmp);
      await makeReadOnly(tmp);
      const manifest = await buildManifest(tmp);
      try {
        await rename(tmp, final);
        await chmod(final, 0o555);
        await writeFileAtomic(this.manifestPath(sha256), JSON.stringify(manifest));
      } catch (e) {
        // Another runner process sharing the directory got there first: its tree is as good as ours.
        if (!isCode(e, "ENOTEMPTY", "EEXIST") || !(await exists(final))) throw e;
        await removeTree(tmp);
      }
      const checked = await verifyTree(final, (await readManifest(this.manifestPath(sha256))) ?? manifest, this.ownerUid);
      if (!("snapshot" in checked)) throw new Error(`code package ${sha256}: the extracted tree does not match its manifest: ${checked.problem}`);
      this.trusted.set(sha256, checked.snapshot);
    } catch (e) {
      await removeTree(tmp);
      throw e;
    }
  }

  /** Remove a tree and its manifest (tampered, evicted or collected). */
  private async discard(sha256: string): Promise<void> {
    this.trusted.delete(sha256);
    await rm(this.manifestPath(sha256), { force: true });
    await removeTree(join(this.dir, sha256));
  }

  /** Record a load: the manifest's mtime is the tree's last use for gc(). */
  private async touch(sha256: string): Promise<void> {
    const now = new Date();
    await utimes(this.manifestPath(sha256), now, now).catch(() => {});
  }
}

/** The name of the merged tree of these layer shas, in this order: a sha256, so it lives beside the packages. */
export function layerSetKey(layerShas: readonly string[]): string {
  return createHash("sha256").update(`hotswap-layers\n${layerShas.join("\n")}`).digest("hex");
}

/**
 * Lay the tree `from` over `to`: files (hard links) and symlinks replace whatever `to` holds at
 * their path; directories merge. Lambda's rule for layers at /opt.
 */
async function mergeTree(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    const there = await lstat(dst).catch(() => undefined);
    if (entry.isDirectory()) {
      if (there && !there.isDirectory()) await rm(dst, { force: true });
      if (!there || !there.isDirectory()) await mkdir(dst, { mode: 0o755 });
      await mergeTree(src, dst);
      continue;
    }
    if (there) await removeTree(dst);
    if (entry.isSymbolicLink()) await symlink(await readlink(src), dst);
    else if (entry.isFile()) {
      await link(src, dst).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code !== "EXDEV") throw e;
        await copyFile(src, dst);
        await chmod(dst, (await stat(src)).mode & 0o555);
      });
    }
  }
}

async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o644 });
  await chmod(tmp, 0o644);
  await rename(tmp, path);
}

function assertSha(sha256: string): void {
  // The sha becomes a path: refuse anything that is not exactly a lowercase hex sha256.
  if (!SHA256.test(sha256)) throw new Error(`invalid code sha256 "${sha256}": expected 64 lowercase hex characters`);
}

/** Files 0444 (0555 when executable), directories 0555, below `root` (root itself stays writable for the rename). */
async function makeReadOnly(root: string): Promise<void> {
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isSymbolicLink()) continue; // chmod would follow the link
    if (entry.isDirectory()) {
      await makeReadOnly(path);
      await chmod(path, 0o555);
    } else if (entry.isFile()) {
      const { mode } = await stat(path);
      await chmod(path, mode & 0o111 ? 0o555 : 0o444);
    }
  }
}

/**
 * rm -rf that also works for a non-root user on the cache's read-only trees (a 0555 directory
 * refuses unlinks). For tests and tools that delete a whole cache directory.
 */
export async function removeTree(root: string): Promise<void> {
  const st = await lstat(root).catch(() => undefined);
  if (st === undefined) return;
  if (st.isDirectory()) await makeDirsWritable(root);
  await rm(root, { recursive: true, force: true });
}

async function makeDirsWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await makeDirsWritable(join(dir, entry.name));
  }
}

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await treeBytes(path);
    else if (entry.isFile()) total += (await stat(path)).size;
  }
  return total;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function isCode(e: unknown, ...codes: string[]): boolean {
  return typeof e === "object" && e !== null && codes.includes((e as { code?: string }).code ?? "");
}

/**
 * Node resolves a `.js` file's module type from the nearest package.json, walking up past the
 * code directory. A cache inside an ESM project (the default ./.hotswap data dir sits in
 * HotSwap's own "type": "module" checkout) would turn every CommonJS handler into ESM. This
 * boundary gives code without its own package.json Lambda's default: CommonJS.
 */
async function writeScopeBoundary(dir: string): Promise<void> {
  const file = join(dir, "package.json");
  await writeFile(file, '{ "type": "commonjs" }\n', { flag: "wx", mode: 0o644 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "EEXIST") throw e;
  });
  await chmod(file, 0o644);
}
