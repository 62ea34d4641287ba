/**
 * Counting handler runs from outside the platform, for the crash tests: a handler that leaves one
 * empty file per run in RUNS_DIR (named after the request id), and the count per request id.
 */
import { readdir } from "node:fs/promises";

/** Marks each run in RUNS_DIR, then sleeps a little (so a kill finds runs in flight) and returns `{ n }`. */
export const MARKS_RUNS = `const fs = require("fs"); const path = require("path");
exports.handler = async (event, context) => {
  fs.writeFileSync(path.join(process.env.RUNS_DIR, context.awsRequestId + "." + Date.now() + "." + Math.random().toString(36).slice(2)), "");
  await new Promise((r) => setTimeout(r, 400));
  return { n: event.n };
};`;

/** How many times each request id ran, from the marks in `dir`. */
export async function runsPerEvent(dir: string): Promise<Map<string, number>> {
  const perEvent = new Map<string, number>();
  for (const m of await readdir(dir)) {
    const id = m.split(".")[0]!;
    perEvent.set(id, (perEvent.get(id) ?? 0) + 1);
  }
  return perEvent;
}
