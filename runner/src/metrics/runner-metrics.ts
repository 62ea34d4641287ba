/**
 * A runner's Prometheus series, read from its pools at scrape time (collect callbacks), so the
 * invocation path pays nothing for them:
 *
 *   hotswap_runner_instances{pool,state}     state: busy | idle | starting | stem
 *   hotswap_runner_inflight{pool}            invocations running now
 *   hotswap_runner_free_slots{pool}          invocation slots free on live instances now
 *   hotswap_runner_budget_instances{pool}    RUNNER_MAX_INSTANCES
 *   hotswap_runner_budget_memory_bytes{pool} RUNNER_MEMORY_MB
 *   hotswap_runner_memory_used_bytes{pool}   memory held by live and starting instances
 *
 * Labels are the pool only (Prometheus adds the runner as `instance`). Each registry is the
 * runner's own: a fleet runner's also collects the Node process metrics; the embedded runner's
 * must not (the control plane's registry has them, and the two are served as one scrape).
 * Queue-depth gauges (async invocations, triggers) come with those features.
 */
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { RunnerReport } from "../../../protocol/runner.ts";

export const INSTANCE_STATES = ["busy", "idle", "starting", "stem"] as const;

export interface RunnerMetricsOptions {
  /** The pool label: RUNNER_POOL for a fleet runner, "embedded" for the embedded one. */
  pool: string;
  /** Collect the Node process metrics too (fleet runners; never the embedded runner). */
  processMetrics: boolean;
}

/** A new registry with the runner's series, read from `node.report()` at each scrape. */
export function createRunnerRegistry(node: { report(): RunnerReport }, opts: RunnerMetricsOptions): Registry {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry });
  registerRunnerMetrics(registry, node, opts.pool);
  return registry;
}

/** Register the runner gauges on `registry`; one report is read per scrape, whatever the gauge count. */
export function registerRunnerMetrics(registry: Registry, node: { report(): RunnerReport }, pool: string): void {
  let cached: { at: number; report: RunnerReport } | undefined;
  // The gauges of one scrape are collected in the same turn: read the pools once for all of them.
  const report = () => {
    const now = performance.now();
    if (!cached || now - cached.at > 100) cached = { at: now, report: node.report() };
    return cached.report;
  };
  const gauge = (name: string, help: string, value: (r: RunnerReport) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["pool"],
      registers: [registry],
      collect() {
        this.set({ pool }, value(report()));
      },
    });
  new Gauge({
    name: "hotswap_runner_instances",
    help: "Instances on the runner by state: busy (no free slot), idle (can take an invocation), starting, stem (prewarmed runtime without code).",
    labelNames: ["pool", "state"],
    registers: [registry],
    collect() {
      const counts = instanceCounts(report());
      for (const state of INSTANCE_STATES) this.set({ pool, state }, counts[state]);
    },
  });
  gauge("hotswap_runner_inflight", "Invocations running on the runner now.", (r) => r.load.inflight);
  gauge("hotswap_runner_free_slots", "Invocation slots free on the runner's live instances now.", (r) => r.versions.reduce((n, v) => n + v.free, 0));
  gauge("hotswap_runner_budget_instances", "Instances the runner may hold (RUNNER_MAX_INSTANCES).", (r) => r.capacity.maxInstances);
  gauge("hotswap_runner_budget_memory_bytes", "Memory the runner's instances may hold (RUNNER_MEMORY_MB).", (r) => r.capacity.memoryMb * 1024 * 1024);
  gauge("hotswap_runner_memory_used_bytes", "Memory held by the runner's live and starting instances.", (r) => r.load.memoryMb * 1024 * 1024);
}

/** Instances by state from a report. */
export function instanceCounts(r: RunnerReport): Record<(typeof INSTANCE_STATES)[number], number> {
  const counts = { busy: 0, idle: 0, starting: 0, stem: 0 };
  for (const v of r.versions) {
    counts.idle += v.warm;
    counts.busy += Math.max(0, v.instances - v.warm);
    counts.starting += v.starting;
  }
  for (const n of Object.values(r.stems)) counts.stem += n;
  return counts;
}
