/**
 * The runner agent's SERVER span for one forwarded invocation (POST /v1/invoke), a child of the
 * control plane's hop span named by the request's traceparent. The version pool's spans go under
 * it: the invocation is handed on with this span's traceparent.
 */
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import { RUNNER_PATH_INVOKE } from "../../../protocol/fleet.ts";
import { SpanKind, spanUnder, type Span, type Tracer } from "../../../shared/tracing/spans.ts";

/** Span name of the runner's side of the fleet hop. */
export const RUNNER_INVOKE_SPAN = "runner invoke";

export function startRunnerInvokeSpan(tracer: Tracer, traceparent: string | undefined, spec: FunctionSpec, requestId: string, runnerId: string): Span {
  return spanUnder(tracer, RUNNER_INVOKE_SPAN, SpanKind.SERVER, traceparent, {
    "http.request.method": "POST",
    "url.path": RUNNER_PATH_INVOKE,
    "hotswap.function": spec.functionName,
    "hotswap.version": spec.version,
    "hotswap.request_id": requestId,
    "hotswap.runner": runnerId,
  });
}
