/**
 * Running the `hotswap` CLI as users do (`node bin/hotswap.js ...`) against a test platform: each
 * run gets a clean environment (PATH, a private XDG_CONFIG_HOME, and HOTSWAP_URL/HOTSWAP_API_KEY
 * unless the test signs in with `hotswap login` instead), and reports its exit code and output.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../support/wait-for.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** A private config directory for one suite; `cleanup()` removes it. */
export async function configHome(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "hs-cli-config-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The environment of a CLI run: nothing of the test runner's own but PATH. */
export function cliEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1" };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** Start `hotswap <args>`; for commands that run until stopped (logs -f, rollouts watch, deploy following a rollout). */
export function spawnHotswap(args: string[], env: Record<string, string | undefined>, opts: { input?: string } = {}): CliProcess {
  const child = spawn(process.execPath, ["bin/hotswap.js", ...args], { cwd: ROOT, env: cliEnv(env), stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Run `hotswap <args>` to its end (killed after `timeoutMs`). */
export async function hotswap(args: string[], env: Record<string, string | undefined>, opts: { input?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const p = spawnHotswap(args, env, opts);
  const timer = setTimeout(() => p.child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** `run` and the failure message to show with an assertion on it. */
export function shown(run: CliRun): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/** Waits until the process printed a match of `re` on stdout (or stderr with `stream`). */
export async function waitForCliOutput(p: CliProcess, re: RegExp, timeoutMs = 20_000, stream: "stdout" | "stderr" = "stdout"): Promise<RegExpMatchArray> {
  return waitFor(`${re} in the CLI's ${stream}`, () => p[stream]().match(re), { timeoutMs, intervalMs: 50, show: () => `\nstdout:\n${p.stdout()}\nstderr:\n${p.stderr()}` });
}
