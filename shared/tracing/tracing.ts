/**
 * The tracer provider of one deployable, built from its TracingSettings: the configured sampler,
 * `service.name` on the resource, and finished spans handed to an export worker thread
 * (span-handoff.ts) where a BatchSpanProcessor and the OTLP/HTTP protobuf exporter send them.
 * Nothing is registered globally and no context manager is installed: spans are parented
 * explicitly (the invocation carries its traceparent), so tracing off costs no AsyncLocalStorage,
 * and a test process can run several platforms with their own exporters. Off means `tracer` is
 * undefined, and callers skip every span (no no-op span objects either).
 */
import type { Tracer } from "@opentelemetry/api";
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

export interface Tracing {
  /** Undefined when tracing is off. */
  readonly tracer: Tracer | undefined;
  /** Export what is buffered now. */
  flush(): Promise<void>;
  /** Export what is buffered and stop (at shutdown); never rejects. */
  shutdown(): Promise<void>;
}

export const TRACING_OFF: Tracing = { tracer: undefined, flush: async () => {}, shutdown: async () => {} };

/** The sampler an OTEL_TRACES_SAMPLER name stands for. */
export function samplerOf(name: SamplerName, ratio: number): Sampler {
  const root = name.endsWith("always_off") ? new AlwaysOffSampler() : name.endsWith("traceidratio") ? new TraceIdRatioBasedSampler(ratio) : new AlwaysOnSampler();
  return name.startsWith("parentbased_") ? new ParentBasedSampler({ root }) : root;
}

/** Start exporting spans as `settings` say (TRACING_OFF when disabled). `version` goes on the resource. */
export function startTracing(settings: TracingSettings, version?: string): Tracing {
  if (!settings.enabled) return TRACING_OFF;
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
