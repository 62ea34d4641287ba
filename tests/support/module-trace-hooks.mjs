// Loader hooks of module-trace.mjs: append each resolved URL to the trace file.
import { appendFileSync } from "node:fs";

let file;
const seen = new Set();

export function initialize(data) {
  file = data;
}

export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (!seen.has(r.url)) {
    seen.add(r.url);
    appendFileSync(file, `${r.url}\n`);
  }
  return r;
}
