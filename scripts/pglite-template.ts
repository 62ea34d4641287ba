/**
 * `postinstall` (runs at `npm ci`): build the PGlite data-directory template that lets a fresh
 * embedded database skip initdb (see platform/src/db/pglite-template.ts). Never fails the install:
 * without the template, `npm start` still works, only its first start on a new data dir is slower.
 */
import { existsSync } from "node:fs";
import { ensureTemplate, templatePath } from "../platform/src/db/pglite-template.ts";

const t0 = performance.now();
try {
  if (!existsSync(templatePath())) process.stderr.write(`[hotswap] preparing the embedded database template (a one-off initdb, ~5-10 s)...\n`);
  const { path, built } = await ensureTemplate();
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  process.stderr.write(`[hotswap] embedded database template ${built ? `built in ${s} s` : "already present"}: ${path}\n`);
} catch (e) {
  process.stderr.write(`[hotswap] warning: could not build the embedded database template at ${templatePath()}: ${(e as Error).message}\n`);
  process.stderr.write(`[hotswap] npm start still works; a new data directory is just initialised from scratch (slower).\n`);
}
