/**
 * The runner's spans about one invocation in a version pool, under the span its request names
 * (the runner's server span in the fleet, the front door's when embedded):
 *
 *   acquire instance (only when the invocation waited for one)
 *     └ cold start   (kind fresh|stem, init duration; only on a cold start)
 *   invocation      (function, version, request id, start, outcome; error on function and platform errors)
 *
 * The pool calls `arrived` when an invocation finds no free instance and `running` once one is
 * assigned; the invocation span's traceparent is what the instance (the handler) receives. Only
 * built when tracing is on: the pool holds no tracer otherwise.
 */
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import type { FunctionSpec, InvokeOutcome, InvokeRequest, StartKind } from "../../../protocol/invoke.ts";
import { SpanKind, endWithOutcome, spanUnder, traceparentOf, type Span, type Tracer } from "../../../shared/tracing/spans.ts";

/** The span of one running invocation. */
export interface InvocationSpan {
  /** What the instance receives as its trace context. */
  readonly traceparent: string;
  end(outcome: InvokeOutcome): void;
}

export class PoolTracer {
  /** performance.now() when an invocation began waiting for an instance. */
  private readonly arrivals = new WeakMap<InvokeRequest, number>();

  constructor(readonly tracer: Tracer) {}

  /** `req` found no free instance: its acquisition starts now. */
  arrived(req: InvokeRequest): void {
    if (!this.arrivals.has(req)) this.arrivals.set(req, performance.now());
  }

  /** An instance (started `initMs` ago when `coldStart`) takes `req` now. */
  running(req: InvokeRequest, spec: FunctionSpec, start: StartKind, coldStart: boolean, initMs: number, kind: "fresh" | "stem"): InvocationSpan {
    const now = performance.now();
    const arrivedAt = this.arrivals.get(req);
    if (arrivedAt !== undefined) this.arrivals.delete(req);
    if (arrivedAt !== undefined || coldStart) {
      const from = coldStart ? Math.min(arrivedAt ?? now, now - initMs) : arrivedAt!;
      const acquire = spanUnder(this.tracer, "acquire instance", SpanKind.INTERNAL, req.traceparent, { "hotswap.start": start }, from);
      if (coldStart) {
        const cold = this.tracer.startSpan(
          "cold start",
          { kind: SpanKind.INTERNAL, startTime: now - initMs, attributes: { "hotswap.cold_start.kind": kind, "hotswap.init_duration_ms": Math.round(initMs * 1000) / 1000 } },
          trace.setSpan(ROOT_CONTEXT, acquire),
        );
        cold.end(now);
      }
      acquire.end(now);
    }
    const span = spanUnder(this.tracer, "invocation", SpanKind.INTERNAL, req.traceparent, {
      "hotswap.function": spec.functionName,
      "hotswap.version": spec.version,
      "hotswap.request_id": req.requestId,
      "hotswap.start": start,
    }, now);
    return new RunningInvocation(span);
  }
}

class RunningInvocation implements InvocationSpan {
  readonly traceparent: string;

  constructor(private readonly span: Span) {
    this.traceparent = traceparentOf(span);
  }

  end(outcome: InvokeOutcome): void {
    endWithOutcome(this.span, outcome);
  }
}
