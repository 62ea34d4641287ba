/**
 * What a traced invocation carries through the pipeline: the tracer, the context of the front
 * door's server span (the parent of every step's span), and the step span open now. Only the front
 * door sets it, and only when tracing is on; stages skip their spans when it is absent.
 */
import type { Context } from "@opentelemetry/api";
import type { Span, Tracer } from "../../../shared/tracing/spans.ts";

export interface InvocationTrace {
  readonly tracer: Tracer;
  /** The context whose span is the request's server span. */
  readonly context: Context;
  /** The step span open now (authenticate, resolve qualifier), ended by the stage after the step. */
  step?: Span;
}
