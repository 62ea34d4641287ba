/**
 * The control plane's CLIENT span for one forward of an invocation to a runner (the fleet hop):
 * its traceparent goes over the fleet protocol, so the runner's server span is its child. A retry
 * on another runner is a second hop span. Ended with what the forward came to.
 */
import type { InvokeRequest } from "../../../protocol/invoke.ts";
import { SpanKind, endWithError, endWithOutcome, spanUnder, type Span, type Tracer } from "../../../shared/tracing/spans.ts";

/** Span name of the control plane's side of the fleet hop. */
export const RUNNER_HOP_SPAN = "runner hop";

export function startHopSpan(tracer: Tracer, req: InvokeRequest, runnerAddress: string): Span {
  return spanUnder(tracer, RUNNER_HOP_SPAN, SpanKind.CLIENT, req.traceparent, {
    "http.request.method": "POST",
    "url.full": runnerAddress,
    "hotswap.function": req.spec.functionName,
    "hotswap.version": req.spec.version,
    "hotswap.request_id": req.requestId,
  });
}

/** What came of one forward: the runner's answer, or a failure before or after delivery. */
export type HopResult = { kind: "answered"; outcome: Parameters<typeof endWithOutcome>[1] } | { kind: "not-delivered" | "lost"; error: Error };

export function endHopSpan(span: Span, r: HopResult): void {
  if (r.kind === "answered") endWithOutcome(span, r.outcome);
  else endWithError(span, r.error.message, r.kind === "lost" ? "RunnerLost" : "NotDelivered");
}
