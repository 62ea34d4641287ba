/**
 * The content-addressed cache that hands a function's zip from the program to the provider.
 *
 * The program builds the deterministic zip while it runs and writes it to
 * `<tmpdir>/hotswap-code/<sha256>.zip`; the Function provider, which Pulumi runs as a separate
 * process on the same machine, reads it back by hash when it publishes a version. Only the hash and
 * size go into the resource's inputs, so the stack's state stays small and diffs stay readable.
 *
 * Runs inside the provider: serializable, modules imported inside the functions.
 */

export const CODE_CACHE_DIR = "hotswap-code";

/** The cache file for a package hash under a temp directory. */
export function codeCacheFile(tmp: string, sha256: string): string {
  return `${tmp.replace(/[\\/]+$/, "")}/${CODE_CACHE_DIR}/${sha256}.zip`;
}

/** Reads a package back by its sha256 and verifies it. */
export async function readCachedCode(sha256: string): Promise<Uint8Array> {
  const { readFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { createHash } = await import("node:crypto");
  const file = codeCacheFile(tmpdir(), sha256);
  let zip: Uint8Array;
  try {
    zip = await readFile(file);
  } catch {
    throw new Error(
      `The code package with sha256 ${sha256} is not in ${file}. The program writes it there each time it runs, so the program and this provider ran on different machines or the file was removed since; run \`pulumi up\` again.`,
    );
  }
  const actual = createHash("sha256").update(zip).digest("hex");
  if (actual !== sha256) {
    throw new Error(`The cached code package ${file} has sha256 ${actual}, not ${sha256}; it was modified after the program wrote it. Run \`pulumi up\` again.`);
  }
  return zip;
}
