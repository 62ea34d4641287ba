/**
 * The tracer provider of one deployable, built from its TracingSettings (tracer-provider.ts, which
 * loads the OpenTelemetry SDK only when tracing is on): the configured sampler, `service.name` on
 * the resource, and finished spans handed to an export worker thread (span-handoff.ts) where a
 * BatchSpanProcessor and the OTLP/HTTP protobuf exporter send them. Nothing is registered globally
 * and no context manager is installed: spans are parented explicitly (the invocation carries its
 * traceparent), so tracing off costs no AsyncLocalStorage, and a test process can run several
 * platforms with their own exporters. Off means `tracer` is undefined, and callers skip every span
 * (no no-op span objects either).
 */
import type { Tracer } from "@opentelemetry/api";
import type { TracingSettings } from "./settings.ts";

export interface Tracing {
  /** Undefined when tracing is off. */
  readonly tracer: Tracer | undefined;
  /** Export what is buffered now. */
  flush(): Promise<void>;
  /** Export what is buffered and stop (at shutdown); never rejects. */
  shutdown(): Promise<void>;
}

export const TRACING_OFF: Tracing = { tracer: undefined, flush: async () => {}, shutdown: async () => {} };

/** Start exporting spans as `settings` say (TRACING_OFF when disabled). `version` goes on the resource. */
export async function startTracing(settings: TracingSettings, version?: string): Promise<Tracing> {
  if (!settings.enabled) return TRACING_OFF;
  const { startTracerProvider } = await import("./tracer-provider.ts");
  return startTracerProvider(settings, version);
}
