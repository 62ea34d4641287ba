/**
 * A freshly initialised PGlite data directory, kept as a gzip tarball so a new embedded database
 * starts from it instead of running initdb. initdb in WebAssembly takes 4–10 s on a small machine
 * (most of a fresh `npm start`); restoring the tarball takes ~2 s. `npm ci` builds it
 * (scripts/pglite-template.ts, the package's postinstall), keyed by the installed PGlite version so
 * an upgrade never restores an incompatible directory. Without it, PGlite simply runs initdb.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The installed @electric-sql/pglite version (its package.json is not exported, so it is found on disk). */
export function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      const p = JSON.parse(readFileSync(pkg, "utf8")) as { name?: string; version?: string };
      if (p.name === "@electric-sql/pglite" && p.version) return p.version;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the @electric-sql/pglite package.json");
    dir = up;
  }
}

/** Where the template for the installed PGlite lives (HOTSWAP_PGLITE_TEMPLATE overrides it). */
export function templatePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOTSWAP_PGLITE_TEMPLATE || join(ROOT, "node_modules", ".cache", "hotswap", `pglite-${pgliteVersion()}-datadir.tgz`);
}

/** The template as a Blob for PGlite's `loadDataDir`, or undefined when there is none. */
export async function loadTemplate(path = templatePath()): Promise<Blob | undefined> {
  try {
    return new Blob([await readFile(path)]);
  } catch {
    return undefined;
  }
}

/**
 * Build the template unless it exists. Returns its path and whether it was built now. Written to a
 * temporary name and renamed, so a concurrent or interrupted build never leaves half a tarball.
 */
export async function ensureTemplate(path = templatePath()): Promise<{ path: string; built: boolean }> {
  if (existsSync(path)) return { path, built: false };
  const { PGlite } = await import("@electric-sql/pglite");
  const pg = await PGlite.create();
  try {
    const dump = await pg.dumpDataDir("gzip");
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, Buffer.from(await dump.arrayBuffer()));
    await rename(tmp, path);
  } finally {
    await pg.close();
  }
  return { path, built: true };
}
