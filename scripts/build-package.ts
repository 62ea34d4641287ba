/**
 * `npm run build` (and `prepack`, so `npm pack` always ships fresh output): compiles what the
 * installed `hotswap` package runs into dist/, for plain `node` without tsx.
 *
 * - dist/<same paths as the repository>/*.js: every module tsconfig.build.json includes (the CLI and
 *   what it composes: cli/, client/, infra/sdk/, platform/src/, protocol/, runner/src/, shared/), one
 *   ES module per source file, by esbuild with every import left external and `./x.ts` rewritten to
 *   `./x.js` (a per-file transpile; `package.json` imports are inlined). Type checking is
 *   `npm run typecheck`'s job, not the build's.
 * - dist/infra/sdk/*.d.ts (and what they reference): declarations of `hotswap/pulumi`, by tsc
 *   (tsconfig.declarations.json, --noCheck), with `.ts` specifiers rewritten to `.js`.
 * - dist/cjs/pulumi.cjs (+ pulumi.d.cts): the `hotswap/pulumi` entry as one CommonJS file, for stacks
 *   that `require` it (`pulumi new typescript` projects compile to CommonJS, and Node 20 cannot
 *   require an ES module). One file, so that Pulumi's closure serializer captures the providers'
 *   helpers by value, as it does for the ES modules, instead of emitting a `require` of a package
 *   path the dynamic-provider host may not resolve.
 * - Both are ES2020 syntax: Pulumi's closure serializer parses the providers' code with the TypeScript
 *   it finds, and in a JavaScript project without `typescript` that is its vendored 3.8, which
 *   rejects later syntax (`??=`, static blocks). `useDefineForClassFields` (tsconfig.build.json)
 *   keeps ES2022 class-field semantics at that target.
 * - the files those modules read at run time next to them, at the same relative paths
 *   (platform/migrations, runtimes/*, the web console's bundle console/dist when the repository has
 *   one, built first): everything under those directories that is not TypeScript, a test or a fixture.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, "dist");

/** Directories whose non-TypeScript files compiled code reads at run time (import.meta.url-relative); absent ones are skipped. */
const ASSET_ROOTS = ["platform/migrations", "runtimes", "console/dist"];
/** Repository build steps whose output is among those files, run first where the repository has them. */
const ASSET_BUILDS = [["scripts/build-console.ts", "--if-stale"]];
const SKIPPED_DIRS = new Set(["node_modules", "__pycache__", "fixtures", "tests", "test", "support"]);
const isSkippedFile = (name: string) => name.endsWith(".ts") || name.startsWith("test_") || name.endsWith(".md");

function log(msg: string): void {
  process.stderr.write(`[build] ${msg}\n`);
}

/** The modules tsconfig.build.json includes: the one list of what the package runs. */
function moduleFiles(): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, "tsconfig.build.json"), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (!parsed || parsed.fileNames.length === 0) throw new Error("tsconfig.build.json includes no files");
  return parsed.fileNames;
}

/** Leaves every import external, relative TypeScript ones renamed to the .js esbuild writes next to them. */
const externalImports: Plugin = {
  name: "external-imports",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === "entry-point" || args.path.endsWith(".json")) return undefined;
      return { path: args.path.replace(/^(\.{1,2}\/.*)\.ts$/, "$1.js"), external: true };
    });
  },
};

async function compileModules(files: string[]): Promise<void> {
  await build({
    entryPoints: files,
    outbase: ROOT,
    outdir: DIST,
    bundle: true,
    plugins: [externalImports],
    format: "esm",
    platform: "node",
    target: ["node20", "es2020"],
    tsconfig: join(ROOT, "tsconfig.build.json"),
    logLevel: "warning",
  });
}

function emitDeclarations(): void {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.declarations.json"), "--noCheck"], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.declarations.json failed (exit ${r.status})`);
}

/** tsc keeps `.ts` specifiers in declarations; consumers resolve `./x.js` to `./x.d.ts` with any moduleResolution. */
function rewriteDeclarationSpecifiers(dir: string): number {
  let count = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) count += rewriteDeclarationSpecifiers(p);
    else if (entry.name.endsWith(".d.ts")) {
      const text = readFileSync(p, "utf8");
      const rewritten = text.replace(/((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3");
      if (rewritten !== text) {
        writeFileSync(p, rewritten);
        count++;
      }
    }
  }
  return count;
}

async function bundleCommonJsEntry(): Promise<void> {
  await build({
    entryPoints: [join(ROOT, "infra/sdk/index.ts")],
    outfile: join(DIST, "cjs/pulumi.cjs"),
    bundle: true,
    format: "cjs",
    platform: "node",
    target: ["node20", "es2020"],
    tsconfig: join(ROOT, "tsconfig.build.json"),
    packages: "external",
    logLevel: "warning",
    banner: { js: "// hotswap/pulumi, CommonJS build (scripts/build-package.ts). The ES module build is dist/infra/sdk/index.js." },
  });
  // The declarations of the ES build describe the same exports; a .d.cts re-export gives `require` consumers
  // (moduleResolution node16/nodenext) CommonJS-typed declarations.
  writeFileSync(join(DIST, "cjs/pulumi.d.cts"), 'export * from "../infra/sdk/index.js";\n');
}

function buildAssets(): void {
  for (const [script, ...args] of ASSET_BUILDS) {
    if (!existsSync(join(ROOT, script!))) continue;
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, script!), ...args], { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status})`);
  }
}

function copyAssets(dir: string): number {
  if (!existsSync(join(ROOT, dir))) return 0;
  let count = 0;
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) count += copyAssets(rel);
    } else if (entry.isFile() && !isSkippedFile(entry.name)) {
      cpSync(join(ROOT, rel), join(DIST, rel));
      count++;
    }
  }
  return count;
}

const t0 = performance.now();
rmSync(DIST, { recursive: true, force: true });
const files = moduleFiles();
await compileModules(files);
emitDeclarations();
const rewritten = rewriteDeclarationSpecifiers(DIST);
await bundleCommonJsEntry();
buildAssets();
let assets = 0;
for (const dir of ASSET_ROOTS) assets += copyAssets(dir);
log(`dist/ built in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${files.length} modules, ${rewritten} declaration files rewritten to .js specifiers, ${assets} run-time files copied (${relative(ROOT, DIST)}/)`);
