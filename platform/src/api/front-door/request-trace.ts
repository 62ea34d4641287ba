/**
 * The trace context of one request at the front door, on both invoke paths.
 *
 * Tracing on: a SERVER span (HTTP attributes, the request id, the function) continues the
 * caller's `traceparent`/`tracestate` or starts a trace; the invocation carries the span's context
 * to the pipeline's step spans, the runner and the handler; the response's `traceparent` names it.
 * Tracing off: no span and no context objects; the invocation and the response carry the caller's
 * traceparent, or an unsampled one whose trace id is the request id's hex digits
 * (passThroughTraceparent), so response, handler and logs still agree on one trace id.
 */
import type { IncomingMessage } from "node:http";
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import type { InvokeOutcome } from "../../../../protocol/invoke.ts";
import { HEADER_AMZN_TRACE_ID, HEADER_TRACEPARENT, HEADER_TRACESTATE } from "../../../../protocol/headers.ts";
import { SpanKind, endWithError, traceparentOf, type Span, type Tracer } from "../../../../shared/tracing/spans.ts";
import { parentContext, passThroughTraceparent, xrayTraceId } from "../../../../shared/tracing/traceparent.ts";
import type { Invocation } from "../../invocation/invocation.ts";

export interface RequestTrace {
  /** What the response carries, and (through the invocation) the runner and the handler. */
  readonly traceparent: string;
  /** The server span, when tracing is on. */
  readonly span?: Span;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === "string" ? v : undefined;
};

/** Begin the request's trace: a server span named after `route` when `tracer` is set. */
export function beginRequestTrace(tracer: Tracer | undefined, req: IncomingMessage, requestId: string, route: string): RequestTrace {
  const incoming = header(req, HEADER_TRACEPARENT);
  if (tracer === undefined) return { traceparent: passThroughTraceparent(incoming, requestId) };
  const span = tracer.startSpan(
    `POST ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "http.request.method": "POST",
        "http.route": route,
        "hotswap.request_id": requestId,
      },
    },
    parentContext(incoming, header(req, HEADER_TRACESTATE)),
  );
  return { traceparent: traceparentOf(span), span };
}

/** Hand the request's trace to the invocation: the pipeline's steps, the runner and the handler continue it. */
export function traceInvocation(inv: Invocation, rt: RequestTrace, tracer: Tracer | undefined): void {
  inv.traceparent = rt.traceparent;
  if (rt.span !== undefined && tracer !== undefined) inv.trace = { tracer, context: trace.setSpan(ROOT_CONTEXT, rt.span) };
}

/** The trace headers of every answer: `traceparent`, and on the Lambda path X-Ray's `X-Amzn-Trace-Id`. */
export function traceHeaders(headers: Record<string, string>, rt: RequestTrace, lambda: boolean): Record<string, string> {
  headers[HEADER_TRACEPARENT] = rt.traceparent;
  if (lambda) {
    const xray = xrayTraceId(rt.traceparent);
    if (xray !== undefined) headers[HEADER_AMZN_TRACE_ID] = xray;
  }
  return headers;
}

/** End the server span with the answer's status (an error status on 5xx, as HTTP servers do). */
export function endRequestTrace(rt: RequestTrace, status: number, inv: Invocation | undefined, outcome?: InvokeOutcome, errorCode?: string): void {
  const span = rt.span;
  if (span === undefined) return;
  span.setAttribute("http.response.status_code", status);
  if (inv !== undefined) {
    span.setAttribute("hotswap.function", inv.name);
    if (inv.spec) span.setAttribute("hotswap.version", inv.spec.version);
  }
  if (outcome !== undefined) span.setAttribute("hotswap.outcome", outcome.kind);
  if (status >= 500) endWithError(span, errorCode ?? (outcome?.kind === "function-error" ? "function error" : String(status)), errorCode ?? String(status));
  else span.end();
}
