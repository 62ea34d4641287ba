/** Build zip archives for tests from fixture directories or in-memory files (fflate). */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { zipSync, type Zippable } from "fflate";

export const FIXTURES = new URL("../fixtures/functions/", import.meta.url).pathname;

/** Zip a directory; unix modes are kept so an executable `bootstrap` stays executable. */
export function zipDir(dir: string): Buffer {
  const files: Zippable = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else files[relative(dir, p)] = [readFileSync(p), { os: 3, attrs: ((0o100000 | (st.mode & 0o777)) << 16) >>> 0, mtime: new Date("2020-01-01") }];
    }
  };
  walk(dir);
  return Buffer.from(zipSync(files));
}

export function zipFixture(name: string): Buffer {
  return zipDir(join(FIXTURES, name));
}

/** Zip in-memory files: { "index.js": "module.exports..." }. */
export function zipFiles(files: Record<string, string | Uint8Array>): Buffer {
  const z: Zippable = {};
  for (const [k, v] of Object.entries(files)) z[k] = typeof v === "string" ? new TextEncoder().encode(v) : v;
  return Buffer.from(zipSync(z));
}
