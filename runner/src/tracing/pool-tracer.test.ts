import { test } from "node:test";
import assert from "node:assert/strict";
import { SpanStatusCode } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { InvokeRequest } from "../../../protocol/invoke.ts";
import { specOf } from "../../../tests/support/invocation.ts";
import { PoolTracer } from "./pool-tracer.ts";

const PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

function setup() {
  const exporter = new InMemorySpanExporter();
  const pool = new PoolTracer(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer("t"));
  const req: InvokeRequest = { spec: specOf(), requestId: "req-1", payload: Buffer.from("{}"), traceparent: PARENT };
  const byName = (n: string) => exporter.getFinishedSpans().find((s) => s.name === n);
  return { exporter, pool, req, byName };
}

test("a warm invocation is one span under the request's, and the instance gets its traceparent", () => {
  const { exporter, pool, req, byName } = setup();
  const running = pool.running(req, req.spec, "warm", false, 0, "fresh");
  running.end({ kind: "success", payload: Buffer.from("1"), coldStart: false, start: "warm", durationMs: 1 });
  assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name), ["invocation"]);
  const span = byName("invocation")!;
  assert.equal(span.parentSpanContext?.spanId, "b7ad6b7169203331");
  assert.equal(span.spanContext().traceId, "0af7651916cd43dd8448eb211c80319c");
  assert.equal(running.traceparent, `00-0af7651916cd43dd8448eb211c80319c-${span.spanContext().spanId}-01`);
  assert.deepEqual(
    { f: span.attributes["hotswap.function"], v: span.attributes["hotswap.version"], r: span.attributes["hotswap.request_id"], o: span.attributes["hotswap.outcome"], c: span.attributes["faas.coldstart"] },
    { f: "fn", v: req.spec.version, r: "req-1", o: "success", c: false },
  );
});

test("a cold start: acquire instance, with the cold start (kind, init duration) under it, then a failed invocation", () => {
  const { pool, req, byName } = setup();
  pool.arrived(req);
  const running = pool.running(req, req.spec, "stem", true, 42.5, "stem");
  running.end({ kind: "function-error", payload: Buffer.from("{}"), coldStart: true, start: "stem", durationMs: 50 });
  const acquire = byName("acquire instance")!;
  const cold = byName("cold start")!;
  const invocation = byName("invocation")!;
  assert.equal(acquire.parentSpanContext?.spanId, "b7ad6b7169203331");
  assert.equal(cold.parentSpanContext?.spanId, acquire.spanContext().spanId);
  assert.equal(invocation.parentSpanContext?.spanId, "b7ad6b7169203331");
  assert.equal(cold.attributes["hotswap.cold_start.kind"], "stem");
  assert.equal(cold.attributes["hotswap.init_duration_ms"], 42.5);
  const coldMs = (cold.duration[0] * 1e9 + cold.duration[1]) / 1e6;
  assert.ok(Math.abs(coldMs - 42.5) < 1, `cold start lasted ${coldMs} ms`);
  assert.equal(invocation.status.code, SpanStatusCode.ERROR);
  assert.equal(invocation.attributes["faas.coldstart"], true);
});
