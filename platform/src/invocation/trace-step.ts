/**
 * Spans around steps of the invocation pipeline (authenticate, resolve qualifier), as two stages:
 * one before the step opens its span, one after it ends the span (with attributes the step
 * decided), so the span measures the step alone and not the rest of the chain. A step that throws
 * or rejects, or stops the chain (a dry run), ends its span from the opening stage, with an error
 * status when it failed. Composed only when tracing is on; an invocation without a trace (the
 * platform's own) passes through.
 */
import { SpanKind, type Span } from "@opentelemetry/api";
import { endWithError } from "../../../shared/tracing/spans.ts";
import type { InvocationTrace } from "../tracing/invocation-trace.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";

export class TraceStepStart implements InvocationHandler {
  constructor(
    private readonly next: InvocationHandler,
    private readonly name: string,
  ) {}

  handle(inv: Invocation) {
    const t = inv.trace;
    if (t === undefined) return this.next.handle(inv);
    const span = t.tracer.startSpan(this.name, { kind: SpanKind.INTERNAL }, t.context);
    t.step = span;
    let p;
    try {
      p = this.next.handle(inv);
    } catch (e) {
      closeStep(t, span, e);
      throw e;
    }
    return p.then(
      (o) => {
        closeStep(t, span);
        return o;
      },
      (e: unknown) => {
        closeStep(t, span, e);
        throw e;
      },
    );
  }
}

export class TraceStepEnd implements InvocationHandler {
  constructor(
    private readonly next: InvocationHandler,
    /** Attributes of the step's span, from what the step decided. */
    private readonly describe?: (inv: Invocation, span: Span) => void,
  ) {}

  handle(inv: Invocation) {
    const t = inv.trace;
    if (t?.step !== undefined) {
      this.describe?.(inv, t.step);
      t.step.end();
      t.step = undefined;
    }
    return this.next.handle(inv);
  }
}

/** Ends `span` unless the closing stage already did (the step passed and the chain went on). */
function closeStep(t: InvocationTrace, span: Span, err?: unknown): void {
  if (t.step !== span) return;
  t.step = undefined;
  if (err === undefined) span.end();
  else endWithError(span, err instanceof Error ? err.message : String(err), (err as { code?: unknown } | null)?.code as string | undefined);
}
