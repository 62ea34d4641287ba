/**
 * A real `prometheus` process for tests (Debian's package, installed by scripts/ci/ensure-prometheus.sh):
 * its own temp data dir, listening on 127.0.0.1 on a free port, stopped by its pid. Also says why
 * the tests cannot run when the binary is missing (an error under CI=true, a skip otherwise).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IS_CI } from "../support/services.ts";
import { waitFor } from "../support/wait-for.ts";

/** Undefined when `prometheus` and `promtool` run; otherwise the skip reason (throws under CI). */
export function prometheusSkipReason(): string | undefined {
  const missing = ["prometheus", "promtool"].filter((bin) => spawnSync(bin, ["--version"], { stdio: "ignore" }).status !== 0);
  if (missing.length === 0) return undefined;
  const reason = `${missing.join(" and ")} not installed; install with: bash scripts/ci/ensure-prometheus.sh (apt-get install -y prometheus)`;
  if (IS_CI) throw new Error(`CI=true and ${reason}`);
  return reason;
}

export interface RunningPrometheus {
  url: string;
  pid: number;
  /** Files beside the config (credentials), by name → path. */
  dir: string;
  /** Instant query: the result vector (or scalar as one sample). Throws on an API error. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** GET an API path and return its `data`. */
  api(path: string): Promise<any>;
  /** Output so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

/** Start prometheus with `config` (YAML/JSON text), after `files` are written into its directory. */
export async function startPrometheus(config: (dir: string) => string, files: Record<string, string> = {}): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), "hs-prometheus-"));
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content, { mode: 0o600 });
  await writeFile(join(dir, "prometheus.yml"), config(dir));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const child: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  child.stderr!.on("data", (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, "SIGTERM");
      const killer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, "SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const api = async (path: string) => {
    const res = await fetch(url + path);
    const body = (await res.json()) as { status: string; data: any; error?: string };
    if (body.status !== "success") throw new Error(`${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  try {
    await waitFor("prometheus to be ready", async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output}`);
      return (await fetch(`${url}/-/ready`)).ok;
    }, { timeoutMs: 15_000, intervalMs: 100 });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url,
    pid: child.pid!,
    dir,
    api,
    async query(expr) {
      const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      if (data.resultType === "scalar") return [{ metric: {}, value: data.result }];
      return data.result;
    },
    log: () => output,
    stop,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
