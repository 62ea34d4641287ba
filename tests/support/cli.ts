/** Spawn `hotswap server --embedded-runner` as users start it, collecting its output. */
import { spawn, type ChildProcess } from "node:child_process";
import { waitFor } from "./wait-for.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

export interface ServerProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  exited: Promise<number | null>;
}

export function spawnServer(env: Record<string, string>): ServerProcess {
  let out = "";
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "server", "--embedded-runner"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Run a one-shot `hotswap <args>` command (admin, secrets...) to its end: its exit code and everything it printed. */
export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
  return { code, stdout, stderr };
}

/** The first match of `re` in what the server printed; fails after `ms` with everything it printed. */
export async function waitForOutput(server: ServerProcess, re: RegExp, ms: number): Promise<RegExpMatchArray> {
  return waitFor(`${re} in the server's output`, () => server.output().match(re), { timeoutMs: ms, intervalMs: 50, show: () => `\n${server.output()}` });
}

/** SIGKILL every server still running and wait for it to exit (cleanup after a failed test). */
export async function stopAll(servers: ServerProcess[]): Promise<void> {
  for (const s of servers) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill("SIGKILL");
      await s.exited;
    }
  }
}

/** Spawn `hotswap server --embedded-runner` and wait until it prints the URL it serves on; fails with its output if it exits first. */
export async function startServer(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess & { url: string }> {
  const server = spawnServer(env);
  const m = await waitFor(
    "the server to print its URL",
    () => {
      const found = /serving on (https?:\/\/\S+)/.exec(server.output());
      if (!found && server.child.exitCode !== null) throw new Error(`the server exited before serving:\n${server.output()}`);
      return found;
    },
    { timeoutMs, intervalMs: 25, retryErrors: false, show: () => `its output:\n${server.output()}` },
  );
  return Object.assign(server, { url: m[1]! });
}
