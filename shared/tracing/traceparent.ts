/**
 * W3C trace context as text: reading an incoming `traceparent` (and `tracestate`), writing one for
 * a span, the X-Ray form Lambda's runtimes expose (`_X_AMZN_TRACE_ID`), and the pass-through
 * context used when tracing is off. Shared by the control plane (front door, fleet hop) and the
 * runner (its server span, the Runtime API's Lambda-Runtime-Trace-Id).
 */
import { ROOT_CONTEXT, trace, type Context, type SpanContext } from "@opentelemetry/api";
import { TraceState, parseTraceParent } from "@opentelemetry/core";
import { randomBytes } from "node:crypto";

/** The span context a traceparent names, or undefined when it is malformed or all zeros. */
export function parseTraceparent(traceparent: string | undefined, tracestate?: string): SpanContext | undefined {
  if (traceparent === undefined) return undefined;
  const sc = parseTraceParent(traceparent);
  if (sc === null) return undefined;
  if (tracestate) sc.traceState = new TraceState(tracestate);
  return sc;
}

/** An OpenTelemetry context whose parent is the span a traceparent names (the root context when none). */
export function parentContext(traceparent: string | undefined, tracestate?: string): Context {
  const sc = parseTraceparent(traceparent, tracestate);
  return sc ? trace.setSpanContext(ROOT_CONTEXT, sc) : ROOT_CONTEXT;
}

/** `00-<trace id>-<span id>-<flags>` for a span context. */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags & 1 ? "01" : "00"}`;
}

/** The trace id of a traceparent (32 hex digits), or undefined when it is malformed. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent !== undefined && TRACEPARENT.test(traceparent) ? traceparent.slice(3, 35) : undefined;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The trace context of an invocation when tracing is off: the caller's traceparent when it sent a
 * valid one (so its trace goes on through the function), otherwise an unsampled one whose trace id
 * is the request id's 32 hex digits (request ids are UUIDs unless the caller chose one), so the
 * response, the handler and the logs agree on one id without recording anything.
 */
export function passThroughTraceparent(incoming: string | undefined, requestId: string): string {
  if (incoming !== undefined && parseTraceParent(incoming) !== null) return incoming;
  const hex = UUID.test(requestId) ? requestId.replace(/-/g, "").toLowerCase() : randomBytes(16).toString("hex");
  return `00-${hex}-${hex.slice(16)}-00`;
}

/** X-Ray trace header from a W3C traceparent, as AWS maps one to the other (`Root=1-…;Parent=…;Sampled=…`). */
export function xrayTraceId(traceparent: string): string | undefined {
  const m = /^[0-9a-f]{2}-([0-9a-f]{8})([0-9a-f]{24})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent);
  if (!m) return undefined;
  return `Root=1-${m[1]}-${m[2]};Parent=${m[3]};Sampled=${Number.parseInt(m[4]!, 16) & 1}`;
}
