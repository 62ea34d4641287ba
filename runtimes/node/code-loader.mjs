#!/usr/bin/env node
/**
 * HotSwap code loader (docker backend; zero npm dependencies). It runs in one helper container per
 * runner, with that runner's code volume mounted read-write at /code, and never runs function
 * code. The runner drives it through the container's attached stdin/stdout, using the fast
 * channel's frames (runtimes/PROTOCOL.md; codec: lib/frame.mjs): it writes function code into the
 * volume, which function containers then mount read-only at /var/task. Going through the Docker
 * API this way works wherever the runner runs (on the host, or in a container with the Docker
 * socket), needs no network, and costs about a millisecond per request instead of a process per
 * `docker cp`.
 *
 * Requests (stdin), handled one at a time in order; each gets {type:"ok",id} or
 * {type:"error",id,message} on stdout:
 *   mkdir   {id, path, mode}            create the directory (and its parents)
 *   write   {id, path, mode, append?}   body = the file's bytes; a large file comes as several
 *                                       writes, `append: true` after the first
 *   symlink {id, path, target}
 *   rename  {id, from, to}              publish `from` as `to` (replacing `to`)
 *   link    {id, from, to}              hard-link copy of the tree `from` into the directory `to`
 *   remove  {id, path}                  rm -rf
 * Paths are relative to /code. Absolute paths, "..", and writes through symlinks are refused.
 */
import fs from "node:fs";
import path from "node:path";
import { createFrameReader, encodeFrame, FrameError, readHeader } from "./lib/frame.mjs";

const ROOT = process.env.HOTSWAP_CODE_ROOT || "/code";
process.umask(0o022);

class Refused extends Error {}

/** Absolute path inside ROOT for a request path; refuses anything that could leave it. */
function inRoot(rel) {
  if (typeof rel !== "string" || rel === "" || rel.startsWith("/") || rel.includes("\0")) throw new Refused(`bad path ${JSON.stringify(rel)}`);
  if (rel.split("/").some((p) => p === "..")) throw new Refused(`path ${JSON.stringify(rel)} leaves the code root`);
  return path.join(ROOT, rel);
}

/** The parent directory of `abs`, created, and checked not to resolve outside ROOT through a symlink. */
function parentOf(abs) {
  const dir = path.dirname(abs);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const real = fs.realpathSync(dir);
  if (real !== ROOT && !real.startsWith(ROOT + "/")) throw new Refused(`${abs} resolves outside the code root`);
  return dir;
}

function linkTree(from, to) {
  fs.mkdirSync(to, { recursive: true, mode: 0o755 });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) linkTree(src, dst);
    else if (e.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dst);
    else if (e.isFile()) fs.linkSync(src, dst);
  }
}

function handle(h, body) {
  switch (h.type) {
    case "mkdir":
      fs.mkdirSync(inRoot(h.path), { recursive: true, mode: h.mode ?? 0o755 });
      return;
    case "write": {
      const abs = inRoot(h.path);
      parentOf(abs);
      // O_NOFOLLOW: a symlink in place of the file must not redirect the write.
      const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW | (h.append ? fs.constants.O_APPEND : fs.constants.O_TRUNC);
      const fd = fs.openSync(abs, flags, h.mode ?? 0o644);
      try {
        if (body.length) fs.writeSync(fd, body);
        if (!h.append) fs.fchmodSync(fd, h.mode ?? 0o644);
      } finally {
        fs.closeSync(fd);
      }
      return;
    }
    case "symlink": {
      const abs = inRoot(h.path);
      parentOf(abs);
      fs.symlinkSync(String(h.target), abs);
      return;
    }
    case "rename": {
      const to = inRoot(h.to);
      parentOf(to);
      fs.rmSync(to, { recursive: true, force: true });
      fs.renameSync(inRoot(h.from), to);
      return;
    }
    case "link":
      linkTree(inRoot(h.from), inRoot(h.to));
      return;
    case "remove":
      fs.rmSync(inRoot(h.path), { recursive: true, force: true });
      return;
    default:
      throw new Refused(`unknown request type ${JSON.stringify(h.type)}`);
  }
}

function reply(header) {
  process.stdout.write(encodeFrame(header));
}

function onFrame(buf, hStart, hEnd, bEnd) {
  const h = readHeader(buf, hStart, hEnd);
  try {
    handle(h, buf.subarray(hEnd, bEnd));
    reply({ type: "ok", id: h.id });
  } catch (err) {
    reply({ type: "error", id: h.id, message: String(err?.message ?? err) });
  }
}

// Chunks are joined only once a whole frame has arrived, so a multi-megabyte write is copied once.
const reader = createFrameReader(onFrame);
process.stdin.on("data", (chunk) => {
  try {
    reader.push(chunk);
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    // The stream cannot be resynchronised after a bad frame: exit, and the runner's requests fail.
    process.stderr.write(`code-loader: ${err.message}; exiting\n`);
    process.exit(2);
  }
});
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
fs.mkdirSync(ROOT, { recursive: true });
reply({ type: "hello", root: ROOT });
