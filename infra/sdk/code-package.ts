/**
 * Turns a function's `code` arg (a directory path, a `.zip` path, a `pulumi.asset.FileArchive` or an
 * `AssetArchive`) into a deterministic zip: entries sorted by path, fixed timestamps, modes reduced
 * to 0644/0755, fixed compression level. The same files therefore always give the same bytes and
 * the same sha256, whatever order the files were written in and whatever their mtimes.
 *
 * Runs in the program (not in the providers), so it may import modules normally.
 */
import * as pulumi from "@pulumi/pulumi";
import { unzipSync } from "fflate";
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, realpath, rename, stat, writeFile, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { MAX_ZIPPED_CODE_BYTES } from "../../protocol/limits.ts";
import { codeCacheFile } from "./code-cache.ts";
import { deterministicZip, type PackageFile } from "../../shared/code-package/deterministic-zip.ts";

/** What a function's code can be given as. */
export type CodeSource = string | pulumi.asset.Archive;

export type { PackageFile };

export interface CodePackage {
  zip: Uint8Array;
  sha256: string;
  size: number;
  fileCount: number;
}

/** The error for a code arg that cannot be packaged; `pulumi` prints its message without a stack. */
export class CodePackageError extends pulumi.RunError {
  constructor(message: string) {
    super(message);
    this.name = "CodePackageError";
  }
}

export { deterministicZip };

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Collects the files of a code source, resolving relative paths against `baseDir` (Pulumi's: the project directory). */
export async function collectFiles(code: CodeSource, baseDir: string = process.cwd()): Promise<PackageFile[]> {
  const files: PackageFile[] = [];
  await addSource(code, "", baseDir, files);
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new CodePackageError(`code has two entries for "${f.path}"; every path in the package must be unique.`);
    seen.add(f.path);
  }
  return files;
}

/** Collects, zips and hashes a code source. */
export async function buildCodePackage(code: CodeSource, baseDir: string = process.cwd()): Promise<CodePackage> {
  const files = await collectFiles(code, baseDir);
  if (files.length === 0) throw new CodePackageError(`code ${describe(code)} contains no files.`);
  const zip = deterministicZip(files);
  if (zip.length > MAX_ZIPPED_CODE_BYTES) {
    throw new CodePackageError(`code ${describe(code)} zips to ${zip.length} bytes; the platform's limit is ${MAX_ZIPPED_CODE_BYTES} bytes (50 MB) zipped.`);
  }
  return { zip, sha256: sha256Hex(zip), size: zip.length, fileCount: files.length };
}

/** Writes a package to the cache the Function provider reads from (atomic; old entries pruned). */
export async function cacheCodePackage(pkg: CodePackage, tmp: string = tmpdir()): Promise<string> {
  const file = codeCacheFile(tmp, pkg.sha256);
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  await writeFile(partial, pkg.zip);
  await rename(partial, file);
  await pruneCache(dirname(file));
  return file;
}

const CACHE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

async function pruneCache(dir: string): Promise<void> {
  try {
    const now = Date.now();
    for (const name of await readdir(dir)) {
      const p = join(dir, name);
      const st = await stat(p).catch(() => undefined);
      if (st && now - st.mtimeMs > CACHE_MAX_AGE_MS) await unlink(p).catch(() => {});
    }
  } catch {
    // Best effort: a cache that cannot be pruned still works.
  }
}

function describe(code: CodeSource): string {
  return typeof code === "string" ? `"${code}"` : "archive";
}

/** Normalizes an archive key or relative path into a zip entry path, refusing escapes. */
function entryPath(prefix: string, rel: string): string {
  const parts = `${prefix}/${rel.replace(/\\/g, "/")}`.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === "..")) throw new CodePackageError(`code entry "${rel}" points outside the package; use paths inside the function's directory.`);
  return parts.join("/");
}

async function addSource(code: CodeSource, prefix: string, baseDir: string, out: PackageFile[]): Promise<void> {
  if (typeof code === "string") return addPath(code, prefix, baseDir, out);
  if (!pulumi.asset.Archive.isInstance(code)) {
    throw new CodePackageError("code must be a directory path, a .zip path, a pulumi.asset.FileArchive or a pulumi.asset.AssetArchive.");
  }
  const archive = code as unknown as Record<string, unknown>;
  if ("assets" in archive) {
    const assets = await (code as pulumi.asset.AssetArchive).assets;
    for (const key of Object.keys(assets).sort()) {
      const item = assets[key]!;
      if (key.startsWith("/") || isAbsolute(key)) throw new CodePackageError(`AssetArchive key "${key}" is absolute; use a path relative to the function's root.`);
      if (pulumi.asset.Archive.isInstance(item)) {
        await addSource(item, entryPath(prefix, key), baseDir, out);
      } else if ("text" in (item as object)) {
        out.push({ path: entryPath(prefix, key), data: new TextEncoder().encode(await (item as pulumi.asset.StringAsset).text), executable: false });
      } else if ("path" in (item as object)) {
        const p = resolve(baseDir, await (item as pulumi.asset.FileAsset).path);
        const st = await stat(p).catch(() => undefined);
        if (!st?.isFile()) throw new CodePackageError(`FileAsset "${p}" (AssetArchive key "${key}") is not a file.`);
        out.push({ path: entryPath(prefix, key), data: await readFile(p), executable: (st.mode & 0o111) !== 0 });
      } else {
        throw new CodePackageError(`AssetArchive key "${key}" is a RemoteAsset; download it first and use a FileAsset or a directory.`);
      }
    }
    return;
  }
  if ("path" in archive) return addPath(await (code as pulumi.asset.FileArchive).path, prefix, baseDir, out);
  throw new CodePackageError("code is a RemoteArchive; download it first and pass the directory or .zip path.");
}

async function addPath(path: string, prefix: string, baseDir: string, out: PackageFile[]): Promise<void> {
  const abs = resolve(baseDir, path);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw new CodePackageError(`code path "${path}" does not exist (resolved to ${abs}).`);
  if (st.isDirectory()) return addDirectory(abs, abs, prefix, out, new Set());
  if (/\.(zip|jar)$/i.test(abs)) return addZip(abs, prefix, out);
  if (/\.(tar|tgz|tar\.gz)$/i.test(abs)) throw new CodePackageError(`code "${path}" is a tar archive; HotSwap packages directories and .zip files. Extract it, or pass a directory.`);
  throw new CodePackageError(`code "${path}" is a single file; pass the directory that contains it (the function's root).`);
}

async function addDirectory(root: string, dir: string, prefix: string, out: PackageFile[], visited: Set<string>): Promise<void> {
  const real = await realpath(dir);
  if (visited.has(real)) return; // a symlink loop
  visited.add(real);
  for (const name of (await readdir(dir)).sort()) {
    const p = join(dir, name);
    const st = await stat(p).catch(() => undefined); // follows symlinks; a dangling one is skipped
    if (!st) continue;
    const rel = p.slice(root.length + 1);
    if (st.isDirectory()) await addDirectory(root, p, prefix, out, visited);
    else if (st.isFile()) out.push({ path: entryPath(prefix, rel), data: await readFile(p), executable: (st.mode & 0o111) !== 0 });
  }
  visited.delete(real);
}

async function addZip(file: string, prefix: string, out: PackageFile[]): Promise<void> {
  let entries: Record<string, Uint8Array>;
  const raw = await readFile(file);
  try {
    entries = unzipSync(raw);
  } catch (e) {
    throw new CodePackageError(`code "${file}" is not a readable zip (${(e as Error).message}).`);
  }
  const modes = zipModes(raw);
  for (const name of Object.keys(entries)) {
    if (name.endsWith("/")) continue; // directory entry
    out.push({ path: entryPath(prefix, name), data: entries[name]!, executable: ((modes.get(name) ?? 0) & 0o111) !== 0 });
  }
}

/** Unix modes from a zip's central directory (fflate's unzip does not report them). */
function zipModes(zip: Uint8Array): Map<string, number> {
  const modes = new Map<string, number>();
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  // End of central directory: signature 0x06054b50, searched backwards past a comment of up to 64 KB.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return modes;
  const count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  for (let n = 0; n < count && p + 46 <= zip.length && view.getUint32(p, true) === 0x02014b50; n++) {
    const madeBy = view.getUint16(p + 4, true) >> 8;
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const attrs = view.getUint32(p + 38, true);
    const name = new TextDecoder().decode(zip.subarray(p + 46, p + 46 + nameLen));
    if (madeBy === 3) modes.set(name, (attrs >>> 16) & 0o777);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return modes;
}

/**
 * Refuses a resource's missing code arg, or a plain path that does not exist, when the program
 * runs (`kind` "hotswap.Function" or "hotswap.Layer", `what` "function" or "layer").
 */
export function checkCodeArg(kind: string, name: string, what: string, code: pulumi.Input<CodeSource> | undefined): asserts code is pulumi.Input<CodeSource> {
  if (code === undefined) {
    throw new pulumi.RunError(`${kind} "${name}": code is required: a directory path, a .zip path, or a pulumi.asset.FileArchive / AssetArchive.`);
  }
  if (typeof code === "string" && !existsSync(resolve(code))) {
    throw new pulumi.RunError(`${kind} "${name}": code path "${code}" does not exist (resolved to ${resolve(code)}); pass the ${what}'s directory or .zip, relative to the project directory.`);
  }
}

/**
 * The code, zipped, hashed and cached in the program (where the files are) for the provider.
 * `holder.self` is set by the caller once the resource exists, so a packaging error names it.
 */
export function packagedCode(kind: string, name: string, code: pulumi.Input<CodeSource>) {
  const holder: { self?: pulumi.Resource } = {};
  const pkg = pulumi.output(code).apply(async (c) => {
    try {
      const built = await buildCodePackage(c as CodeSource);
      await cacheCodePackage(built);
      return { sha256: built.sha256, size: built.size };
    } catch (e) {
      throw new pulumi.ResourceError(`${kind} "${name}": ${(e as Error).message}`, holder.self, true);
    }
  });
  return { pkg, holder };
}
