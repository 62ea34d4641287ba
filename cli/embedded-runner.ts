/**
 * The composition of `hotswap server --embedded-runner`: the control plane (platform/) hosting a
 * runner node (runner/) in its process. Platform and runner never import each other; this is the
 * one place that wires them, for the command and for tests and benchmarks that start a server.
 */
import type { Logger } from "../shared/logger.ts";
import type { ServerOptions } from "../platform/src/server.ts";
import type { RunnerNodeConfig } from "../runner/src/config.ts";
import { startRunnerNode } from "../runner/src/runner-node.ts";
import { Registry } from "prom-client";
import { registerRunnerMetrics } from "../runner/src/metrics/runner-metrics.ts";

/** startServer's options for an embedded runner built from `config` once the server's stores are open. */
export function embeddedRunner(config: RunnerNodeConfig, log: Logger): ServerOptions {
  // The runner's gauges in a registry of their own, without process metrics (the control plane's
  // registry has them); the control plane serves both on its /metrics.
  const metrics = new Registry();
  return {
    runners: "embedded",
    metrics,
    start: async ({ codeStore, tracer, state }) => {
      const node = await startRunnerNode(config, { codeStore, log, tracer, state });
      registerRunnerMetrics(metrics, node, "embedded");
      return node;
    },
  };
}
