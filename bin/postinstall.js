#!/usr/bin/env node
// The package's `postinstall`. In the repository (`npm ci`) it builds the embedded database
// template (scripts/pglite-template.ts, run with tsx). An installed package has no scripts/: there
// it does nothing, and the first `hotswap server` on a new data directory runs initdb instead (slower,
// same result), so a stack that only uses `hotswap/pulumi` does not pay for it at install.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../scripts/pglite-template.ts", import.meta.url));
if (existsSync(script)) {
  const r = spawnSync(process.execPath, ["--import", "tsx", script], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
