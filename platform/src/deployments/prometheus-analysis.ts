/**
 * Prometheus metric templates in rollout analysis (Flagger-style): render each template's query
 * for the new version, and judge the values against their thresholds. Pure; the driver runs the
 * queries (prometheus-query.ts) once per analysis interval and keeps the count of consecutive
 * failed intervals.
 *
 * Decisions: a value beyond a threshold is a breach naming the metric, its value and the
 * threshold. No data (empty vector, NaN) is not judged: the built-in minRequests guards against
 * judging a trickle. A failed query makes the interval failed; `failAfterErrors` consecutive
 * failed intervals are a breach (0: never), because a rollout must not go on blind forever.
 */
import type { PrometheusAnalysis, PrometheusMetric } from "../../../protocol/api/deployments.ts";
import type { QueryResult } from "./prometheus-query.ts";

export interface TemplateValues {
  function: string;
  version: number;
  intervalMs: number;
}

/** The query with {{function}}, {{version}} and {{interval}} (a Prometheus duration such as 30s) substituted. */
export function renderQuery(template: string, v: TemplateValues): string {
  const values: Record<string, string> = { function: v.function, version: String(v.version), interval: prometheusDuration(v.intervalMs) };
  return template.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Milliseconds as a Prometheus duration: whole seconds when exact, else milliseconds. */
export function prometheusDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
}

export type MetricsVerdict =
  | { kind: "pass"; values: Record<string, number | null> }
  /** Some metric had no data; none breached. */
  | { kind: "no-data"; values: Record<string, number | null>; missing: string[] }
  | { kind: "breach"; reason: string; values: Record<string, number | null> }
  /** A query failed; `failedIntervals` counts this one. */
  | { kind: "error"; reason: string; failedIntervals: number; rollBack: boolean };

/**
 * Judge one interval's results (in the order of `analysis.metrics`). `failedBefore` is how many
 * intervals in a row failed before this one.
 */
export function judgeMetrics(analysis: Pick<PrometheusAnalysis, "metrics" | "failAfterErrors" | "address">, results: QueryResult[], failedBefore: number): MetricsVerdict {
  const errors = results.flatMap((r, i) => (r.ok ? [] : [`metric "${analysis.metrics[i]!.name}": ${r.error}`]));
  if (errors.length > 0) {
    const failedIntervals = failedBefore + 1;
    const limit = analysis.failAfterErrors;
    const rollBack = limit > 0 && failedIntervals >= limit;
    const tail = rollBack ? `; ${failedIntervals} consecutive failed analysis intervals reached failAfterErrors ${limit}` : ` (${failedIntervals} of ${limit || "unlimited"} consecutive failed intervals allowed)`;
    return { kind: "error", reason: `Prometheus analysis failed: ${errors.join("; ")}${tail}`, failedIntervals, rollBack };
  }
  const values: Record<string, number | null> = {};
  const missing: string[] = [];
  for (const [i, m] of analysis.metrics.entries()) {
    const value = (results[i] as { value: number | null }).value;
    values[m.name] = value;
    if (value === null) {
      missing.push(m.name);
      continue;
    }
    const breach = breachOf(m, value);
    if (breach) return { kind: "breach", reason: breach, values };
  }
  return missing.length > 0 ? { kind: "no-data", values, missing } : { kind: "pass", values };
}

function breachOf(m: PrometheusMetric, value: number): string | undefined {
  const v = formatValue(value);
  if (m.thresholdMax !== undefined && value > m.thresholdMax) return `Prometheus metric "${m.name}" is ${v}, above its thresholdMax ${m.thresholdMax}`;
  if (m.thresholdMin !== undefined && value < m.thresholdMin) return `Prometheus metric "${m.name}" is ${v}, below its thresholdMin ${m.thresholdMin}`;
  return undefined;
}

function formatValue(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4)));
}
