/**
 * Child processes for the image build: one `run` that never throws on a non-zero exit (the caller
 * decides what failed), and `ImagesError`, the one error type whose message is shown to the user.
 */
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";

/** A failure the user can act on: its message is printed as is, without a stack. */
export class ImagesError extends Error {
  override name = "ImagesError";
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the process after this many ms (exit code 124, as timeout(1)). */
  timeoutMs?: number;
  /** Append stdout and stderr to this file instead of keeping them (stdout/stderr then hold only a tail). */
  logFile?: string;
}

const KEEP = 64 * 1024;

/** Run a command to completion. Rejects only when it cannot be started (with a hint when it is not installed). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    const log = opts.logFile ? createWriteStream(opts.logFile, { flags: "a" }) : undefined;
    let stdout = "";
    let stderr = "";
    const keep = (acc: string, chunk: Buffer) => {
      const s = acc + chunk.toString("utf8");
      return s.length > KEEP ? s.slice(-KEEP) : s;
    };
    child.stdout.on("data", (c: Buffer) => {
      log?.write(c);
      stdout = keep(stdout, c);
    });
    child.stderr.on("data", (c: Buffer) => {
      log?.write(c);
      stderr = keep(stderr, c);
    });
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, opts.timeoutMs)
      : undefined;
    child.once("error", (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      log?.end();
      reject(err.code === "ENOENT" ? new ImagesError(`${cmd} is not installed (or not on PATH)`) : err);
    });
    child.once("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const done = () => resolve({ code: timedOut ? 124 : (code ?? (signal ? 128 : 1)), stdout, stderr });
      if (log) log.end(done);
      else done();
    });
  });
}

/** The last `n` non-empty lines of a text, indented, for error messages. */
export function tailLines(text: string, n = 15): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return lines
    .slice(-n)
    .map((l) => `    ${l}`)
    .join("\n");
}

/** The last `n` lines of a log file, or "" when it cannot be read. */
export async function tailFile(path: string, n = 15): Promise<string> {
  try {
    return tailLines(await readFile(path, "utf8"), n);
  } catch {
    return "";
  }
}

/** Throw an ImagesError naming `what` with the command's output tail unless it exited 0. */
export function check(result: RunResult, what: string): RunResult {
  if (result.code === 0) return result;
  const out = tailLines(`${result.stdout}\n${result.stderr}`);
  throw new ImagesError(`${what} failed (exit ${result.code})${out ? `:\n${out}` : ""}`);
}
