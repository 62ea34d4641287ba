/**
 * The runner's local cache of extracted code packages: `<dir>/<sha256>/`, one read-only tree per
 * code sha. A package is downloaded from the code store and extracted once; concurrent requests
 * for one sha share that work, and a hit never touches the store. Trees appear atomically (extract
 * into a temp dir, then rename), so a directory named by its sha is always complete, even one left
 * by an earlier run of the runner.
 */
import { chmod, lstat, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { extractZip } from "../../../shared/code-package/index.ts";
import type { CodeStore } from "../../../shared/code-store/code-store.ts";

export interface CodeCacheOptions {
  /** Directory that holds one sub-directory per code sha256. Created when missing. */
  dir: string;
  /** Where packages come from; only `get` is used. */
  codeStore: Pick<CodeStore, "get">;
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
  private readonly entries = new Map<string, Promise<string>>();

  constructor(opts: CodeCacheOptions) {
    this.dir = opts.dir;
    this.store = opts.codeStore;
  }

  /** The read-only directory holding the extracted package `sha256`, downloading it the first time. */
  ensure(sha256: string): Promise<string> {
    const known = this.entries.get(sha256);
    if (known !== undefined) return known;
    const p = this.load(sha256);
    this.entries.set(sha256, p);
    // A failure is not cached: the next call tries again (the store may have been briefly down).
    p.catch(() => {
      if (this.entries.get(sha256) === p) this.entries.delete(sha256);
    });
    return p;
  }

  /** Remove a package's tree. Callers make sure no instance still runs from it. */
  async evict(sha256: string): Promise<void> {
    assertSha(sha256);
    const pending = this.entries.get(sha256);
    this.entries.delete(sha256);
    await pending?.catch(() => {});
    await removeTree(join(this.dir, sha256));
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

  private async load(sha256: string): Promise<string> {
    assertSha(sha256);
    const final = join(this.dir, sha256);
    if (await exists(final)) return final;
    await mkdir(this.dir, { recursive: true });
    await writeScopeBoundary(this.dir);
    const zip = await this.store.get(sha256);
    if (zip === null) throw new CodeNotFoundError(sha256);
    const tmp = await mkdtemp(join(this.dir, `.extract-${sha256.slice(0, 12)}-`));
    try {
      await extractZip(zip, tmp);
      await makeReadOnly(tmp);
      try {
        await rename(tmp, final);
      } catch (e) {
        // Another runner process sharing the directory got there first: its tree is as good as ours.
        if (!isCode(e, "ENOTEMPTY", "EEXIST") || !(await exists(final))) throw e;
        await removeTree(tmp);
        return final;
      }
      await chmod(final, 0o555);
      return final;
    } catch (e) {
      await removeTree(tmp);
      throw e;
    }
  }
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
  await writeFile(join(dir, "package.json"), '{ "type": "commonjs" }\n', { flag: "wx" }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "EEXIST") throw e;
  });
}
