#!/usr/bin/env node
// The package's `postinstall`. In the repository (`npm ci`) it runs the repository's install-time
// steps with tsx, in order, stopping at the first that fails: the embedded database template
// (scripts/pglite-template.ts) and, where the repository has it, the web console bundle
// (scripts/build-console.ts). An installed package has no scripts/ and ships those outputs built
// (scripts/build-package.ts): there it does nothing, and the first `hotswap server` on a new data
// directory runs initdb instead of restoring the template (slower, same result).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const STEPS = ["../scripts/pglite-template.ts", "../scripts/build-console.ts"];

for (const step of STEPS) {
  const script = fileURLToPath(new URL(step, import.meta.url));
  if (!existsSync(script)) continue;
  const r = spawnSync(process.execPath, ["--import", "tsx", script], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
