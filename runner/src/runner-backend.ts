/**
 * A runner node's execution backend (RUNNER_BACKEND, with every docker option: runner id, Docker
 * host, network, the address containers reach the runner at and the one its listeners bind, the
 * image tag) and its stem pool (RUNNER_STEMS prewarmed generic instances per runtime and memory
 * size), with the functions' log records going to `logOutput` (the node's shipper). Both the agent and the embedded runner
 * get theirs here, so they cannot drift apart again.
 */
import type { Logger } from "../../shared/logger.ts";
import type { ExecutionBackend } from "./backends/backend.ts";
import { ProcessBackend } from "./backends/process/index.ts";
import { StemPool } from "./pool/stem-pool.ts";
import type { StemSource } from "./pool/pool-types.ts";
import type { RunnerNodeConfig } from "./config.ts";
import type { Sandbox } from "./sandbox/index.ts";
import type { FunctionLogOutput } from "./logs/instance-log.ts";
import pkg from "../../package.json" with { type: "json" };

/** A stem pool as a node uses it: a StemSource for the pools, counts for reports, and close. */
export interface RunnerStems extends StemSource {
  /** Idle stems ready per runtime id. */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

/**
 * The backend. The docker backend removes what a crashed predecessor with the same runner id left
 * when it first opens: the embedded runner opens it here and only logs when Docker is down (the
 * server still starts; invocations answer 503 naming Docker until it is back), while the agent's
 * health check opens it and fails the start (runner-node.ts).
 */
export async function createRunnerBackend(config: RunnerNodeConfig, log: Logger, sandbox?: Sandbox, logOutput?: FunctionLogOutput): Promise<ExecutionBackend> {
  if (config.backend === "process") return new ProcessBackend({ logOutput, sandbox });
  const { DockerBackend } = await import("./backends/docker/index.ts");
  const docker = new DockerBackend({
    runnerId: config.id,
    dockerHost: config.docker.host,
    network: config.docker.network,
    runtimeApiHost: config.docker.runtimeApiHost,
    listenHost: config.docker.runtimeApiBind,
    imageTag: pkg.version,
    logOutput,
  });
  if (config.mode === "embedded") {
    await docker.open().then(
      () => log.info({ runnerId: config.id, docker: docker.where, network: config.docker.network }, "docker backend ready"),
      (e: Error) => log.warn({ docker: docker.where, err: e.message }, "docker backend not ready; invocations fail with 503 until Docker answers"),
    );
  }
  return docker;
}

/** The stem pool, filling in the background; undefined when RUNNER_STEMS is 0. */
export function createRunnerStems(config: RunnerNodeConfig, backend: ExecutionBackend, log: Logger): RunnerStems | undefined {
  if (config.stems.perRuntime <= 0) return undefined;
  const pool = new StemPool({
    backend,
    size: config.stems.perRuntime,
    runtimes: config.stems.runtimes,
    memorySizes: config.stems.memorySizes,
    log: log.child({ component: "stems" }),
  });
  void pool.start().catch((e: Error) => log.warn({ err: e.message }, "stem pool could not start"));
  return {
    take: (spec) => pool.take(spec),
    counts() {
      const out: Record<string, number> = {};
      for (const s of pool.stats()) out[s.runtime] = (out[s.runtime] ?? 0) + s.ready;
      return out;
    },
    close: () => pool.close(),
  };
}
