/**
 * Tags every line a handler writes with its invocation's request id, so the runner attributes
 * each line to the right invocation even when several run at once (protocol/function-logs.ts:
 * `\x1e<requestId>\x1f<line>`). process.stdout.write and process.stderr.write are wrapped, which
 * covers console.* too (the console writes through them). A line is written whole, once it ends:
 * partial writes of concurrent invocations never mix, and a multi-line write (a stack trace)
 * becomes one tagged line per line. Writes outside an invocation pass through untouched.
 *
 * With one invocation at a time the current one is a plain variable; with instance concurrency
 * above 1, AsyncLocalStorage follows each handler's async work (only then, as it has a cost).
 */
import { AsyncLocalStorage } from "node:async_hooks";

const TAG_START = "\x1e";
const TAG_END = "\x1f";

/** The invocation whose lines are being written: its tag and its unfinished lines per stream. */
class RequestLog {
  constructor(requestId) {
    this.prefix = TAG_START + requestId + TAG_END;
    this.out = "";
    this.err = "";
    this.ended = false;
  }
}

let storage = null;
let current = null;
const writers = { out: null, err: null };

/** Wrap process.stdout/stderr once, at start-up. */
export function installLogCapture(proc = process) {
  if (writers.out) return;
  writers.out = wrap(proc.stdout, "out");
  writers.err = wrap(proc.stderr, "err");
}

/** Invocations may overlap (instanceConcurrency > 1): follow each through its async work. */
export function setLogConcurrency(n) {
  if (n > 1 && storage === null) storage = new AsyncLocalStorage();
}

/** An invocation starts: its lines are tagged `requestId` until endRequestLog(). */
export function beginRequestLog(requestId) {
  const log = new RequestLog(requestId);
  if (storage === null) current = log;
  return log;
}

/** Run `fn` (the handler call) so that its async work writes as `log`'s invocation. */
export function inRequestLog(log, fn) {
  return storage !== null ? storage.run(log, fn) : fn();
}

/** The invocation is over: write what is left of its lines, and stop tagging its writes. */
export function endRequestLog(log) {
  if (log.ended) return;
  log.ended = true;
  if (current === log) current = null;
  if (log.out !== "") writers.out?.(`${log.prefix}${log.out}\n`);
  if (log.err !== "") writers.err?.(`${log.prefix}${log.err}\n`);
  log.out = log.err = "";
}

function active() {
  const log = storage !== null ? storage.getStore() : current;
  return log === undefined || log === null || log.ended ? null : log;
}

function toText(chunk, encoding) {
  if (typeof chunk === "string") return encoding && encoding !== "utf8" && encoding !== "utf-8" ? Buffer.from(chunk, encoding).toString("utf8") : chunk;
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("utf8");
}

/** Replace `stream.write`; returns a raw writer for the bootstrap's own flushes. */
function wrap(stream, slot) {
  const original = stream.write;
  stream.write = function write(chunk, encoding, cb) {
    const log = active();
    if (log === null) return original.call(this, chunk, encoding, cb);
    if (typeof encoding === "function") {
      cb = encoding;
      encoding = undefined;
    }
    const pending = log[slot] + toText(chunk, encoding);
    const last = pending.lastIndexOf("\n");
    if (last < 0) {
      log[slot] = pending;
      if (cb) process.nextTick(cb);
      return true;
    }
    log[slot] = pending.slice(last + 1);
    const lines = pending.slice(0, last);
    const text = log.prefix + (lines.includes("\n") ? lines.replaceAll("\n", "\n" + log.prefix) : lines) + "\n";
    return original.call(this, text, "utf8", cb);
  };
  return (text) => original.call(stream, text, "utf8");
}
