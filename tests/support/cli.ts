/** Spawn `hotswap server --embedded-runner` as users start it, collecting its output. */
import { spawn, type ChildProcess } from "node:child_process";

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

/** The first match of `re` in what the server printed; fails after `ms` with everything it printed. */
export async function waitForOutput(server: ServerProcess, re: RegExp, ms: number): Promise<RegExpMatchArray> {
  const until = Date.now() + ms;
  for (;;) {
    const m = server.output().match(re);
    if (m) return m;
    if (Date.now() > until) throw new Error(`no ${re} in the server's output within ${ms} ms:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
