import { test } from "node:test";
import assert from "node:assert/strict";
import { ROOT_CONTEXT, SpanStatusCode, trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ApiError } from "../../../protocol/errors.ts";
import { SUCCESS, invocationOf, recordingNext } from "../../../tests/support/invocation.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";
import { TraceStepEnd, TraceStepStart } from "./trace-step.ts";

function traced() {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer("t");
  const server = tracer.startSpan("server");
  const inv = invocationOf({ trace: { tracer, context: trace.setSpan(ROOT_CONTEXT, server) } });
  return { exporter, server, inv };
}

/** start → step → end → next: the step marks what it saw in `seen`. */
function chain(step: (inv: Invocation, next: InvocationHandler) => ReturnType<InvocationHandler["handle"]>, next: InvocationHandler = recordingNext()) {
  const end = new TraceStepEnd(next, (inv, span) => span.setAttribute("hotswap.function", inv.name));
  return new TraceStepStart({ handle: (inv) => step(inv, end) }, "resolve qualifier");
}

test("a step's span measures the step alone: ended (with its attributes) before the rest of the chain runs", async () => {
  const { exporter, server, inv } = traced();
  let endedBeforeNext = false;
  const next: InvocationHandler = { handle: async () => ((endedBeforeNext = exporter.getFinishedSpans().length === 1), SUCCESS) };
  assert.equal(await chain((i, n) => n.handle(i), next).handle(inv), SUCCESS);
  assert.ok(endedBeforeNext);
  const [span] = exporter.getFinishedSpans();
  assert.equal(span!.name, "resolve qualifier");
  assert.equal(span!.parentSpanContext?.spanId, server.spanContext().spanId);
  assert.equal(span!.attributes["hotswap.function"], "fn");
  assert.equal(span!.status.code, SpanStatusCode.UNSET);
  assert.equal(inv.trace!.step, undefined);
});

test("a step that throws or rejects ends its span with an error status and the error's code", async () => {
  for (const fail of [
    () => {
      throw new ApiError("FunctionNotFound", "no such function");
    },
    () => Promise.reject(new ApiError("Forbidden", "not yours")),
  ]) {
    const { exporter, inv } = traced();
    await assert.rejects(async () => chain(fail as never).handle(inv), ApiError);
    const [span] = exporter.getFinishedSpans();
    assert.equal(span!.status.code, SpanStatusCode.ERROR);
    assert.match(String(span!.attributes["error.type"]), /^(FunctionNotFound|Forbidden)$/);
  }
});

test("a step that ends the chain early (a dry run) still ends its span", async () => {
  const { exporter, inv } = traced();
  assert.equal(await chain(async () => undefined).handle(inv), undefined);
  assert.equal(exporter.getFinishedSpans().length, 1);
  assert.equal(exporter.getFinishedSpans()[0]!.status.code, SpanStatusCode.UNSET);
});

test("an invocation without a trace passes through both stages untouched", async () => {
  const next = recordingNext();
  const inv = invocationOf();
  assert.equal(await chain((i, n) => n.handle(i), next).handle(inv), SUCCESS);
  assert.equal(next.seen.length, 1);
  assert.equal(inv.trace, undefined);
});
