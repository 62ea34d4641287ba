/**
 * Bundles the web console (console/src) with esbuild into console/dist: hashed, minified script and
 * stylesheet under dist/assets, and dist/index.html naming them, plus a manifest of every input
 * file's content hash so a later run (`npm start`, the browser tests) rebuilds only when a source
 * changed. Run from postinstall, `npm run build:console`, and before `npm start`.
 *
 * Usage: node --import tsx scripts/build-console.ts [--if-stale]
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { build } from "esbuild";

const ROOT = new URL("..", import.meta.url).pathname;
export const CONSOLE_SRC = join(ROOT, "console/src");
export const CONSOLE_DIST = join(ROOT, "console/dist");
const MANIFEST = "manifest.json";

interface Manifest {
  /** Repository-relative input path → sha256 of its content. */
  inputs: Record<string, string>;
  script: string;
  style: string;
}

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

async function readManifest(dist: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(join(dist, MANIFEST), "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

/** Why the bundle in `dist` must be rebuilt, or undefined when it is current. */
export async function staleReason(dist = CONSOLE_DIST): Promise<string | undefined> {
  const m = await readManifest(dist);
  if (!m) return "no bundle";
  for (const [file, hash] of Object.entries(m.inputs)) {
    let now: Buffer;
    try {
      now = await readFile(join(ROOT, file));
    } catch {
      return `${file} is gone`;
    }
    if (sha256(now) !== hash) return `${file} changed`;
  }
  for (const f of [m.script, m.style, "index.html"]) {
    try {
      await readFile(join(dist, f));
    } catch {
      return `${f} is missing`;
    }
  }
  return undefined;
}

const INDEX_HTML = (script: string, style: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>HotSwap console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/${style}">
<script type="module" src="/console/${script}"></script>
</head>
<body>
<div id="app"><noscript>The HotSwap console needs JavaScript.</noscript></div>
</body>
</html>
`;

/** Builds console/dist from console/src; returns the asset names. */
export async function buildConsole(dist = CONSOLE_DIST): Promise<Manifest> {
  const out = await build({
    entryPoints: { console: join(CONSOLE_SRC, "main.tsx"), styles: join(CONSOLE_SRC, "styles.css") },
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    minify: true,
    sourcemap: false,
    jsx: "automatic",
    jsxImportSource: "preact",
    entryNames: "assets/[name]-[hash]",
    outdir: dist,
    metafile: true,
    write: false,
    logLevel: "silent",
    legalComments: "none",
    absWorkingDir: ROOT,
  });
  await rm(dist, { recursive: true, force: true });
  await mkdir(join(dist, "assets"), { recursive: true });
  let script = "";
  let style = "";
  for (const f of out.outputFiles) {
    const rel = relative(dist, f.path);
    await writeFile(f.path, f.contents);
    if (rel.endsWith(".js")) script = rel;
    if (rel.endsWith(".css")) style = rel;
  }
  const inputs: Record<string, string> = {};
  for (const file of Object.keys(out.metafile.inputs)) {
    inputs[file] = sha256(await readFile(join(ROOT, file)));
  }
  const manifest: Manifest = { inputs, script, style };
  await writeFile(join(dist, "index.html"), INDEX_HTML(script, style));
  await writeFile(join(dist, MANIFEST), JSON.stringify(manifest, null, 1));
  return manifest;
}

/** Builds unless the bundle is current; returns what it did, for a log line. */
export async function ensureConsoleBuilt(dist = CONSOLE_DIST): Promise<string> {
  const why = await staleReason(dist);
  if (why === undefined) return "console bundle is current";
  const m = await buildConsole(dist);
  return `console bundle built (${why}): ${m.script}, ${m.style}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ifStale = process.argv.includes("--if-stale");
  const started = Date.now();
  const what = ifStale ? await ensureConsoleBuilt() : `console bundle built: ${(await buildConsole()).script}`;
  process.stderr.write(`[build-console] ${what} in ${Date.now() - started} ms\n`);
}
