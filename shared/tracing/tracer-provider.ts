/**
 * The OpenTelemetry SDK side of tracing.ts, loaded only when tracing is on: the configured
 * sampler, `service.name` (and version) on the resource, and finished spans handed to the export
 * worker (span-handoff.ts).
 */
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import type { SamplerName, TracingSettings } from "./settings.ts";
import { SpanHandoff } from "./span-handoff.ts";
import type { Tracing } from "./tracing.ts";

/** The sampler an OTEL_TRACES_SAMPLER name stands for. */
export function samplerOf(name: SamplerName, ratio: number): Sampler {
  const root = name.endsWith("always_off") ? new AlwaysOffSampler() : name.endsWith("traceidratio") ? new TraceIdRatioBasedSampler(ratio) : new AlwaysOnSampler();
  return name.startsWith("parentbased_") ? new ParentBasedSampler({ root }) : root;
}

/** A tracer provider exporting as `settings` say (which have tracing enabled). */
export function startTracerProvider(settings: Extract<TracingSettings, { enabled: true }>, version?: string): Tracing {
  const resource: Record<string, string> = { [ATTR_SERVICE_NAME]: settings.serviceName, ...(version ? { [ATTR_SERVICE_VERSION]: version } : {}) };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    sampler: samplerOf(settings.sampler, settings.ratio),
    spanProcessors: [new SpanHandoff({ tracesUrl: settings.tracesUrl, resource })],
  });
  return {
    tracer: provider.getTracer("hotswap", version),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown().catch(() => {}),
  };
}
