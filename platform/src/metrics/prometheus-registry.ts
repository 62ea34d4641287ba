/**
 * The control plane's Prometheus registry: a `Registry` of its own (never prom-client's global
 * one, because the embedded runner lives in the same process with a registry of its own) with the
 * Node process metrics, unprefixed, as the dashboards query them (`process_resident_memory_bytes`).
 */
import { collectDefaultMetrics, Registry } from "prom-client";

/** A new registry; with `processMetrics` (the default) it also collects Node's process metrics. */
export function createMetricsRegistry(opts: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The exposition text of several registries as one scrape (the control plane's and the embedded
 * runner's). Merged at every scrape, so metrics registered after start-up are included; the
 * registries must not share a metric name (only one of them collects the process metrics).
 */
export async function exposition(registries: readonly Registry[]): Promise<{ contentType: string; text: string }> {
  const merged = registries.length === 1 ? registries[0]! : Registry.merge([...registries]);
  return { contentType: merged.contentType, text: await merged.metrics() };
}
