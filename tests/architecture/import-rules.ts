/**
 * The dependency direction of the tree, as data, and the check that finds imports breaking it:
 *
 *   protocol ← shared ← {platform, runner, client} ← {cli, infra SDK, console}
 *
 * protocol/ (wire types, headers, error codes, frame and fleet codecs) imports nothing of ours;
 * shared/ (state, code store, code package, lease, logger, config helpers) only protocol/; the
 * platform and the runner are peers that never import each other; the CLI is the one composition
 * that wires them. Test files (`*.test.ts`, `*.contract.ts`) may also import `tests/support/` and
 * the golden frame fixtures' loader (runtimes/frame-fixtures.ts), which every codec's tests replay.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** A top-level area of the tree and the areas its modules may import. */
export interface Layer {
  name: string;
  /** Folder, relative to the repository root. */
  dir: string;
  mayImport: readonly string[];
}

export const LAYERS: readonly Layer[] = [
  { name: "protocol", dir: "protocol", mayImport: ["protocol"] },
  { name: "shared", dir: "shared", mayImport: ["protocol", "shared"] },
  { name: "platform", dir: "platform", mayImport: ["protocol", "shared", "platform"] },
  { name: "runner", dir: "runner", mayImport: ["protocol", "shared", "runner"] },
  { name: "client", dir: "client", mayImport: ["protocol", "shared", "client"] },
  { name: "infra-sdk", dir: "infra/sdk", mayImport: ["protocol", "shared", "client", "infra-sdk"] },
  { name: "console", dir: "console", mayImport: ["protocol", "client", "console"] },
  { name: "cli", dir: "cli", mayImport: ["protocol", "shared", "platform", "runner", "client", "cli"] },
];

/** Where test files may reach besides their layer's allowance. */
export const TEST_SUPPORT_DIR = "tests/support";
export const TEST_SUPPORT: readonly string[] = [TEST_SUPPORT_DIR, "runtimes/frame-fixtures.ts"];

export interface Violation {
  file: string;
  specifier: string;
  /** What the import reached: a layer name or a repository path outside every layer. */
  reaches: string;
  rule: string;
}

const SOURCE = /\.(ts|tsx|mts|mjs|js)$/;
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([^"']+)\1/g;

export function isTestFile(file: string): boolean {
  return /\.(test|contract)\.ts$/.test(file) || /(^|\/)contract-support\.ts$/.test(file);
}

/** The layer a repository-relative path belongs to (the most specific folder), or undefined. */
export function layerOf(path: string, layers: readonly Layer[] = LAYERS): Layer | undefined {
  let best: Layer | undefined;
  for (const l of layers) {
    if (path === l.dir || path.startsWith(l.dir + "/")) {
      if (!best || l.dir.length > best.dir.length) best = l;
    }
  }
  return best;
}

/** Relative import specifiers of one module's source (bare packages and node: builtins are not ours). */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT)) if (m[2]!.startsWith(".")) out.push(m[2]!);
  return out;
}

/** The violations in `files` (repository-relative path → source text). */
export function findViolations(files: ReadonlyMap<string, string>, layers: readonly Layer[] = LAYERS): Violation[] {
  const out: Violation[] = [];
  for (const [file, source] of files) {
    const from = layerOf(file, layers);
    if (!from) continue;
    for (const specifier of relativeImports(source)) {
      const target = join(dirname(file), specifier);
      if (target === "package.json") continue; // the version, read by every deployable
      if (isTestFile(file) && TEST_SUPPORT.some((t) => target === t || target.startsWith(t + "/"))) continue;
      const to = layerOf(target, layers);
      if (to && from.mayImport.includes(to.name)) continue;
      const reaches = to?.name ?? target;
      const allowed = from.mayImport.join(", ");
      out.push({ file, specifier, reaches, rule: `${from.name} may import only ${allowed}${isTestFile(file) ? ` (and ${TEST_SUPPORT.join(", ")} in tests)` : ""}` });
    }
  }
  return out;
}

/** Every source file of every layer under `root`, read. */
export function readLayers(root: string, layers: readonly Layer[] = LAYERS): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name === "node_modules" || name === "fixtures" || name === "dist" || name.startsWith(".")) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (SOURCE.test(name)) files.set(relative(root, p), readFileSync(p, "utf8"));
    }
  };
  for (const l of layers) walk(resolve(root, l.dir));
  return files;
}
