/**
 * The Prometheus series of rollouts, counted by the rollout leader when a deployment ends:
 *   hotswap_deployments_total{strategy,status}        status: Succeeded | RolledBack | Failed
 *   hotswap_deployments_rolled_back_total{function}    automatic and manual rollbacks
 * Only the replica holding the rollout lease finishes deployments, so each is counted once
 * across the control planes; `sum` over replicas gives the cluster's figure.
 */
import { Counter, type Registry } from "prom-client";
import { DeploymentStrategy } from "../../../protocol/api/deployments.ts";
import type { SeriesLiveness } from "./prometheus-observer.ts";

export type FinishedStatus = "Succeeded" | "RolledBack" | "Failed";

/** What the rollouts report when a deployment reaches a terminal status. */
export interface DeploymentMetrics {
  finished(d: { functionName: string; strategy: string }, status: FinishedStatus): void;
}

export class PrometheusDeploymentMetrics implements DeploymentMetrics {
  private readonly deployments: Counter<"strategy" | "status">;
  private readonly rolledBack: Counter<"function">;
  private readonly functions = new Set<string>();

  constructor(registry: Registry, private readonly exists: SeriesLiveness = () => true) {
    this.deployments = new Counter({
      name: "hotswap_deployments_total",
      help: "Deployments that ended, by strategy and final status (Succeeded, RolledBack, Failed).",
      labelNames: ["strategy", "status"],
      registers: [registry],
    });
    this.rolledBack = new Counter({
      name: "hotswap_deployments_rolled_back_total",
      help: "Deployments rolled back (by analysis or by command), by function.",
      labelNames: ["function"],
      registers: [registry],
      collect: () => {
        for (const fn of this.functions) {
          if (this.exists(fn)) continue;
          this.functions.delete(fn);
          this.rolledBack.remove({ function: fn });
        }
      },
    });
    // Every strategy and status at 0 from the start, so rate() and increase() see the first one end.
    for (const strategy of DeploymentStrategy.options) {
      for (const status of ["Succeeded", "RolledBack", "Failed"]) this.deployments.inc({ strategy, status }, 0);
    }
  }

  finished(d: { functionName: string; strategy: string }, status: FinishedStatus): void {
    this.deployments.inc({ strategy: d.strategy, status });
    // A function's series starts at 0 with its first finished deployment, so a later rollback is an
    // increase() Prometheus can see (a series born at 1 has no earlier sample to differ from).
    if (!this.functions.has(d.functionName)) {
      this.functions.add(d.functionName);
      this.rolledBack.inc({ function: d.functionName }, 0);
    }
    if (status === "RolledBack") this.rolledBack.inc({ function: d.functionName });
  }
}
