/**
 * `hotswap runner`: the runner agent as a process. Reads its configuration from the environment,
 * starts, prints where it serves, and drains on SIGTERM/SIGINT (a second signal exits at once). A
 * drain always ends: past HOTSWAP_SHUTDOWN_GRACE and a short margin it is forced (shutdown-deadline.ts).
 * Returns the process exit code: 0 after a clean drain, 1 on invalid configuration, a failed
 * start or a drain that failed or had to be forced, 2 on a usage error.
 */
import { hostname } from "node:os";
import { createLogger } from "../shared/logger.ts";
import { loadRunnerConfig, RunnerConfigError } from "../runner/src/config.ts";
import pkg from "../package.json" with { type: "json" };
import { stopOnSignal } from "./shutdown-on-signal.ts";

export const RUNNER_USAGE = `Usage: hotswap runner

Runs a runner agent: it registers with the control planes through Redis (REDIS_URL), heartbeats
every second, and executes the invocations they route to it. Settings come from the environment:
HOTSWAP_CLUSTER_SECRET, REDIS_URL, RUNNER_ID, RUNNER_POOL, RUNNER_LABELS, RUNNER_MEMORY_MB,
RUNNER_MAX_INSTANCES, RUNNER_BACKEND, RUNNER_LISTEN, ... (see the README's runner configuration table).`;

export async function runRunnerCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  // Files the runner writes are its own; the code cache sets the modes sandbox users need explicitly.
  process.umask(0o077);
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${RUNNER_USAGE}\n`);
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write(`hotswap runner: unknown option "${args[0]}"\n\n${RUNNER_USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = loadRunnerConfig(env, { hostname: hostname() });
  } catch (e) {
    if (e instanceof RunnerConfigError) {
      process.stderr.write(`hotswap runner: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  for (const d of config.deprecations) process.stderr.write(`hotswap runner: warning: ${d}\n`);
  const log = createLogger(config.logLevel, "hotswap-runner");
  const started = Date.now();
  const { startRunnerAgent } = await import("../runner/src/fleet/runner-agent.ts");
  let agent;
  try {
    agent = await startRunnerAgent(config, log);
  } catch (e) {
    log.fatal({ err: e }, "start-up failed");
    process.stderr.write(`hotswap runner: start-up failed: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(
    `HotSwap runner ${agent.id} (${pkg.version}) is serving on ${agent.url} (pool ${config.pool}, ${config.backend} backend, started in ${Date.now() - started} ms)\n`,
  );
  const running = agent;
  return stopOnSignal({
    name: "hotswap runner",
    what: "drain",
    graceMs: config.shutdownGraceMs,
    log,
    stop: () => running.drain(),
    step: () => running.drainStep(),
  });
}
