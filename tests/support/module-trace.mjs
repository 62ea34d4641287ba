// Preload (node --import): records every module the process resolves, one URL a line, into the
// file MODULE_TRACE_FILE names. Used to check what a process loads (tests/architecture/process-footprint.test.ts).
import { register } from "node:module";

if (process.env.MODULE_TRACE_FILE) register("./module-trace-hooks.mjs", import.meta.url, { data: process.env.MODULE_TRACE_FILE });
