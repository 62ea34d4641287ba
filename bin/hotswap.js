#!/usr/bin/env node
// The `hotswap` command. In the repository (cli/main.ts is there) it runs the TypeScript CLI through
// tsx's loader, so development never needs a build; in an installed package (`npm pack` ships no
// TypeScript source) it runs the compiled CLI in dist/ with plain node (scripts/build-package.ts).
import { existsSync } from "node:fs";

const source = new URL("../cli/main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import(new URL("../dist/cli/main.js", import.meta.url).href);
}
