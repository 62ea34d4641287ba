/**
 * Picks the runner agent's execution backend (RUNNER_BACKEND) and its stem pool (RUNNER_STEMS
 * prewarmed generic instances per runtime and memory size), with instance logs going to the
 * agent's logger.
 */
import type { Logger } from "../../../shared/logger.ts";
import type { ExecutionBackend } from "../backends/backend.ts";
import { ProcessBackend } from "../backends/process/index.ts";
import { StemPool } from "../pool/stem-pool.ts";
import type { StemSource } from "../pool/pool-types.ts";
import type { RunnerConfig } from "../config.ts";

/** A stem pool as the agent uses it: a StemSource for the pools, counts for heartbeats, and close. */
export interface RunnerStems extends StemSource {
  /** Idle stems ready per runtime id. */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

export async function createRunnerBackend(config: RunnerConfig, log: Logger): Promise<ExecutionBackend> {
  const onLog = (instanceId: string, stream: string, line: string) => log.info({ instance: instanceId, stream }, line);
  if (config.backend === "process") return new ProcessBackend({ onLog });
  const { DockerBackend } = await import("../backends/docker/index.ts");
  return new DockerBackend({ runnerId: config.id, dockerHost: config.docker.host, network: config.docker.network, onLog });
}

/** The stem pool, filling in the background; undefined when RUNNER_STEMS is 0. */
export function createRunnerStems(config: RunnerConfig, backend: ExecutionBackend, log: Logger): RunnerStems | undefined {
  if (config.stems.perRuntime <= 0) return undefined;
  const pool = new StemPool({
    backend,
    size: config.stems.perRuntime,
    runtimes: config.stems.runtimes,
    memorySizes: config.stems.memorySizes,
    log: log.child({ component: "stems" }),
  });
  void pool.start().catch((e) => log.warn({ err: e }, "stem pool could not start"));
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
