/**
 * Path safety rules for zip entries and symlink targets. Pure functions: they never touch the disk.
 * Each returns the reason a path is unsafe (completing `Zip entry "<name>" …`), or the normalised path.
 * Zips are untrusted input: names may be absolute, climb out with `..` (also written with backslashes,
 * as Windows tools do), carry NUL bytes, or be symlinks whose target (possibly through other symlinks)
 * leaves the code directory.
 */

/** Longest single path segment Linux accepts (NAME_MAX). */
const MAX_SEGMENT_BYTES = 255;
/** Longest symlink target accepted (PATH_MAX). */
export const MAX_SYMLINK_TARGET_BYTES = 4096;
/** Symlink hops followed before a chain counts as a loop (Linux MAXSYMLINKS). */
const MAX_SYMLINK_HOPS = 40;

export type EntryPathResult =
  | { ok: true; path: string; isDirectory: boolean }
  | { ok: false; why: string };

/**
 * Normalise a zip entry name to a relative `/`-separated path, or say why it is unsafe.
 * Backslashes count as separators (non-conformant Windows zips use them), so `..\x` and `C:\x` are caught.
 * A name that normalises to the root itself (e.g. `./`) gives `path: ""`.
 */
export function normalizeEntryName(name: string): EntryPathResult {
  if (name.length === 0) return { ok: false, why: "has an empty name" };
  if (name.includes("\0")) return { ok: false, why: "contains a NUL character" };
  const p = name.replace(/\\/g, "/");
  if (/^[A-Za-z]:/.test(p)) return { ok: false, why: "is an absolute Windows path (drive letter)" };
  if (p.startsWith("/")) return { ok: false, why: "is an absolute path" };
  const segments = p.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) return { ok: false, why: "climbs out of the code directory with `..`" };
  if (segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES)) {
    return { ok: false, why: `has a path segment longer than ${MAX_SEGMENT_BYTES} bytes` };
  }
  return { ok: true, path: segments.join("/"), isDirectory: p.endsWith("/") };
}

/** Syntax checks on a symlink target, before resolving it: the reason it is unsafe, or undefined. */
export function symlinkTargetProblem(target: string): string | undefined {
  if (target.length === 0) return "is a symlink with an empty target";
  if (Buffer.byteLength(target) > MAX_SYMLINK_TARGET_BYTES) return `is a symlink whose target is longer than ${MAX_SYMLINK_TARGET_BYTES} bytes`;
  if (target.includes("\0")) return "is a symlink whose target contains a NUL character";
  if (target.includes("\\")) return `is a symlink to ${JSON.stringify(target)}, which contains a backslash`;
  if (target.startsWith("/") || /^[A-Za-z]:/.test(target)) {
    return `is a symlink to the absolute path ${JSON.stringify(target)}; symlinks must point inside the code`;
  }
  return undefined;
}

/**
 * Resolve the symlink at `linkPath` as the kernel would once the zip is extracted, following other
 * symlinks of the same zip (`links`: normalised path → target). Returns the reason it is unsafe when
 * any step of the resolution leaves the root, or when it loops; undefined when it stays inside.
 * Targets in `links` must already have passed symlinkTargetProblem.
 */
export function symlinkResolutionProblem(linkPath: string, links: ReadonlyMap<string, string>): string | undefined {
  const target = links.get(linkPath);
  if (target === undefined) return undefined;
  const stack = linkPath.split("/").slice(0, -1);
  let pending = target.split("/");
  let hops = 0;
  while (pending.length > 0) {
    const seg = pending.shift() as string;
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (stack.length === 0) return `is a symlink to ${JSON.stringify(target)}, which resolves outside the code directory`;
      stack.pop();
      continue;
    }
    stack.push(seg);
    const next = links.get(stack.join("/"));
    if (next === undefined) continue;
    if (++hops > MAX_SYMLINK_HOPS) return "is part of a symlink loop";
    // A link resolves relative to the directory holding it, which is the stack without its last segment.
    stack.pop();
    if (next.startsWith("/")) return `is a symlink to ${JSON.stringify(target)}, which resolves outside the code directory`;
    pending = [...next.split("/"), ...pending];
  }
  return undefined;
}

/** The kinds of entry the structure check needs to know about. */
export interface EntryShape {
  name: string;
  path: string;
  isDirectory: boolean;
}

/**
 * Whole-archive checks: no path appears twice (except a repeated directory), and no entry lives under
 * a path that is a file or a symlink. The second rule means extraction never writes through a symlink.
 * Returns the offending entry and why, or undefined.
 */
export function structureProblem(entries: readonly EntryShape[]): { name: string; why: string } | undefined {
  const byPath = new Map<string, EntryShape>();
  for (const e of entries) {
    const seen = byPath.get(e.path);
    if (seen && !(seen.isDirectory && e.isDirectory)) {
      return { name: e.name, why: `appears twice (also as ${JSON.stringify(seen.name)})` };
    }
    if (!seen) byPath.set(e.path, e);
  }
  for (const e of entries) {
    const segs = e.path.split("/");
    for (let i = 1; i < segs.length; i++) {
      const parent = byPath.get(segs.slice(0, i).join("/"));
      if (parent && !parent.isDirectory) {
        return { name: e.name, why: `lies under ${JSON.stringify(parent.name)}, which is a file or a symlink, not a directory` };
      }
    }
  }
  return undefined;
}
