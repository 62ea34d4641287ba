/**
 * Stem warm-up: what a stem does while it waits for its function, so that specialising it costs
 * only the function's own module load. A fresh Node process pays on its first handler load and
 * its first invocation for initialising the CommonJS and ES module loaders and for compiling the
 * bootstrap's invoke path (frame parsing, the context, the result's JSON); here a stem pays that
 * ahead of time by loading two handlers of its own (lib/warm-up/) through loadHandler and running
 * one invocation of each through the same functions a real one goes through, its result dropped.
 * It also loads the built-in modules functions commonly require (http, https, crypto, ...), which
 * a function would otherwise load on its cold start. Nothing of a function exists in the process
 * yet, so nothing here can carry one function's state to another (a stem serves one function).
 */
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { createFrameReader, encodeFrame, invokeHeader, readHeader } from "./frame.mjs";
import { loadHandler } from "./handler-loader.mjs";
import { functionInfo, parseEvent, resultJson, runHandler, traceNextInvocation } from "./invoke.mjs";
import { invocationTrace } from "./trace-context.mjs";

const HANDLERS_DIR = fileURLToPath(new URL("./warm-up/", import.meta.url));

/** Built-ins that SDKs and typical handlers require at load time. */
const COMMON_BUILTINS = ["http", "https", "crypto", "zlib", "stream", "util", "url", "os", "fs", "path", "events", "buffer", "querystring", "string_decoder", "timers"];

/** One invocation of `handler` through the fast channel's invoke path, answered to nobody. */
function invokeOnce(handler, info) {
  return new Promise((resolve) => {
    const reader = createFrameReader((buf, hStart, hEnd, bEnd) => {
      const h = invokeHeader(buf, hStart, hEnd) ?? readHeader(buf, hStart, hEnd);
      const event = parseEvent(buf.toString("utf8", hEnd, bEnd));
      traceNextInvocation(invocationTrace(undefined, undefined, 1));
      runHandler(handler, info, event, h.id, h.deadline, undefined, undefined, (isError, value) => {
        if (!isError) resultJson(value);
        resolve();
      });
    });
    reader.push(encodeFrame(`{"type":"invoke","id":"warm-up","deadline":${Date.now() + 1000}}`, '{"warm":true}'));
  });
}

/** Warm the stem up; never throws (a failed warm-up only leaves the work to the cold start). */
export async function warmUp() {
  try {
    const require = createRequire(import.meta.url);
    for (const name of COMMON_BUILTINS) require(`node:${name}`);
    const info = functionInfo({});
    for (const h of ["handler-cjs.handler", "handler-esm.handler"]) await invokeOnce(await loadHandler(HANDLERS_DIR, h), info);
  } catch {
    // nothing to undo
  }
}
