/**
 * Small helpers every traced place uses: start a span under the span a traceparent names, and end
 * one with an error status. Callers hold a Tracer only when tracing is on.
 */
import { SpanKind, SpanStatusCode, type Attributes, type Span, type Tracer } from "@opentelemetry/api";
import type { InvokeOutcome } from "../../protocol/invoke.ts";
import { formatTraceparent, parentContext } from "./traceparent.ts";

export { SpanKind };
export type { Span, Tracer };

/** A span whose parent is the span `traceparent` names (a root span when there is none). */
export function spanUnder(tracer: Tracer, name: string, kind: SpanKind, traceparent: string | undefined, attributes?: Attributes, startTime?: number): Span {
  return tracer.startSpan(name, { kind, attributes, startTime }, parentContext(traceparent));
}

/** The traceparent that makes the next hop a child of `span`. */
export function traceparentOf(span: Span): string {
  return formatTraceparent(span.spanContext());
}

/** Mark `span` failed with `message` (and the error's type) and end it. */
export function endWithError(span: Span, message: string, type?: string, endTime?: number): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  if (type) span.setAttribute("error.type", type);
  span.end(endTime);
}

/**
 * End a span about one invocation with what came of it: `hotswap.outcome`, cold start, and an
 * error status for a function error (the handler failed) or a platform error (with its code).
 */
export function endWithOutcome(span: Span, outcome: InvokeOutcome, endTime?: number): void {
  span.setAttribute("hotswap.outcome", outcome.kind);
  if (outcome.coldStart !== undefined) span.setAttribute("faas.coldstart", outcome.coldStart);
  if (outcome.kind === "function-error") endWithError(span, "the function returned an error", "FunctionError", endTime);
  else if (outcome.kind === "platform-error") endWithError(span, outcome.message, outcome.code, endTime);
  else span.end(endTime);
}
