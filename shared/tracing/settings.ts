/**
 * The tracing settings every deployable reads the same way, from the standard OpenTelemetry
 * variables: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is) or OTEL_EXPORTER_OTLP_ENDPOINT (a
 * base URL; `/v1/traces` is appended), OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER(_ARG) and
 * OTEL_SDK_DISABLED. No endpoint means tracing is off. A pure function the config modules call.
 */

export const SAMPLER_NAMES = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export type TracingSettings =
  | { enabled: false }
  | {
      enabled: true;
      /** Where spans are POSTed (OTLP/HTTP), e.g. http://jaeger:4318/v1/traces. */
      tracesUrl: string;
      serviceName: string;
      sampler: SamplerName;
      /** The ratio of traceidratio samplers (OTEL_TRACES_SAMPLER_ARG), 0..1. @default 1 */
      ratio: number;
    };

const blank = (v: string | undefined) => v === undefined || v.trim() === "";

function httpUrl(name: string, v: string, issues: string[]): string | undefined {
  try {
    const u = new URL(v.trim());
    if (u.protocol === "http:" || u.protocol === "https:") return u.href;
  } catch {
    // reported below
  }
  issues.push(`${name}: must be an http:// or https:// URL of an OTLP/HTTP receiver (e.g. http://127.0.0.1:4318)`);
  return undefined;
}

/**
 * Tracing settings from the environment, and what is wrong with them (one message per variable).
 * `defaultServiceName` is the deployable's (`hotswap-control-plane`, `hotswap-runner`).
 */
export function tracingSettings(env: Record<string, string | undefined>, defaultServiceName: string): { settings: TracingSettings; issues: string[] } {
  const issues: string[] = [];
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (disabled !== undefined && disabled !== "" && disabled !== "true" && disabled !== "false") {
    issues.push(`OTEL_SDK_DISABLED: must be true or false, not "${env.OTEL_SDK_DISABLED}"`);
  }
  let tracesUrl: string | undefined;
  if (!blank(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) {
    tracesUrl = httpUrl("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT!, issues);
  } else if (!blank(env.OTEL_EXPORTER_OTLP_ENDPOINT)) {
    const base = httpUrl("OTEL_EXPORTER_OTLP_ENDPOINT", env.OTEL_EXPORTER_OTLP_ENDPOINT!, issues);
    if (base) tracesUrl = base.replace(/\/+$/, "") + "/v1/traces";
  }
  const samplerText = (env.OTEL_TRACES_SAMPLER ?? "").trim().toLowerCase() || "parentbased_always_on";
  const sampler = SAMPLER_NAMES.find((s) => s === samplerText);
  if (!sampler) issues.push(`OTEL_TRACES_SAMPLER: "${env.OTEL_TRACES_SAMPLER}" is not one of ${SAMPLER_NAMES.join(", ")}`);
  let ratio = 1;
  if (!blank(env.OTEL_TRACES_SAMPLER_ARG) && sampler?.endsWith("traceidratio")) {
    ratio = Number(env.OTEL_TRACES_SAMPLER_ARG!.trim());
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
      issues.push(`OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1 (the share of traces sampled), not "${env.OTEL_TRACES_SAMPLER_ARG}"`);
    }
  }
  if (issues.length > 0 || disabled === "true" || tracesUrl === undefined) return { settings: { enabled: false }, issues };
  const serviceName = blank(env.OTEL_SERVICE_NAME) ? defaultServiceName : env.OTEL_SERVICE_NAME!.trim();
  return { settings: { enabled: true, tracesUrl, serviceName, sampler: sampler!, ratio }, issues };
}
