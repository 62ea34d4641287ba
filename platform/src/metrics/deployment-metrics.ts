/**
 * The Prometheus series of rollouts, counted by the rollout leader when a deployment ends:
 *   hotswap_deployments_total{strategy,status}        status: Succeeded | RolledBack | Failed
 *   hotswap_deployments_rolled_back_total{function}    automatic and manual rollbacks
 * Only the replica holding the rollout lease finishes deployments, so each is counted once
 * across the control planes; `sum` over replicas gives the cluster's figure.
 *
 * Every existing function has its rolled-back series from the first scrape on, at 0: a series
 * born at 1 has no earlier sample, so `increase()` (and the HotSwapRolloutRolledBack alert) would
 * never see a function's first rollback. Series of deleted functions are dropped.
 */
import { Counter, type Registry } from "prom-client";
import { DeploymentStrategy } from "../../../protocol/api/deployments.ts";

export type FinishedStatus = "Succeeded" | "RolledBack" | "Failed";

/** What the rollouts report when a deployment reaches a terminal status. */
export interface DeploymentMetrics {
  finished(d: { functionName: string; strategy: string }, status: FinishedStatus): void;
}

export class PrometheusDeploymentMetrics implements DeploymentMetrics {
  private readonly deployments: Counter<"strategy" | "status">;
  private readonly rolledBack: Counter<"function">;
  private readonly exposed = new Set<string>();

  /** `functions` lists the functions that exist now (the routing table's). */
  constructor(registry: Registry, private readonly functions: () => Iterable<string> = () => []) {
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
      collect: () => this.sync(),
    });
    // Every strategy and status at 0 from the start, so rate() and increase() see the first one end.
    for (const strategy of DeploymentStrategy.options) {
      for (const status of ["Succeeded", "RolledBack", "Failed"]) this.deployments.inc({ strategy, status }, 0);
    }
  }

  finished(d: { functionName: string; strategy: string }, status: FinishedStatus): void {
    this.deployments.inc({ strategy: d.strategy, status });
    if (status !== "RolledBack") return;
    this.exposed.add(d.functionName);
    this.rolledBack.inc({ function: d.functionName });
  }

  /** A 0 series for each function not exposed yet; none for functions that are gone. */
  private sync(): void {
    const live = new Set(this.functions());
    for (const fn of live) {
      if (this.exposed.has(fn)) continue;
      this.exposed.add(fn);
      this.rolledBack.inc({ function: fn }, 0);
    }
    for (const fn of this.exposed) {
      if (live.has(fn)) continue;
      this.exposed.delete(fn);
      this.rolledBack.remove({ function: fn });
    }
  }
}
