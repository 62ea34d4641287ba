import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { SpanPacker, SpanUnpacker, TABLE_LIMIT } from "./packed-span.ts";
import { parseTraceparent } from "./traceparent.ts";

// The serializer the OTLP protobuf exporter itself uses (its own otlp-transformer, whatever is hoisted).
const exporterRequire = createRequire(createRequire(import.meta.url).resolve("@opentelemetry/exporter-trace-otlp-proto"));
const { ProtobufTraceSerializer } = exporterRequire("@opentelemetry/otlp-transformer");

test("packed spans, cloned as postMessage does and unpacked, serialise to the same OTLP bytes as the originals", () => {
  const resource = resourceFromAttributes({ "service.name": "svc", "service.version": "1.2.3" });
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer("hotswap", "0.1.0");
  const other = provider.getTracer("other");

  const remote = trace.setSpanContext(ROOT_CONTEXT, { ...parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "vendor=x,other=y")!, isRemote: true });
  const server = tracer.startSpan("POST /x", { kind: SpanKind.SERVER, attributes: { "http.request.method": "POST", n: 3, f: 1.5, ok: true, list: ["a", "b"], nums: [1, 2] } }, remote);
  const child = tracer.startSpan("authenticate", { kind: SpanKind.INTERNAL, startTime: [1_700_000_000, 123_456_789] }, trace.setSpan(ROOT_CONTEXT, server));
  child.addEvent("checked", { key: "k" }, [1_700_000_000, 200_000_000]);
  child.addEvent("bare", [1_700_000_000, 300_000_000]);
  child.addLink({ context: server.spanContext(), attributes: { why: "because" } });
  child.setStatus({ code: SpanStatusCode.ERROR, message: "denied" });
  child.end([1_700_000_000, 999_000_001]);
  const root = other.startSpan("root", { kind: SpanKind.CLIENT });
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  server.end();

  const originals = memory.getFinishedSpans();
  assert.equal(originals.length, 3);
  const packer = new SpanPacker();
  for (const s of originals) packer.add(s);
  const message = packer.take();
  assert.deepEqual(new Set(message.strings), new Set(["authenticate", "checked", "key", "bare", "why", "root", "POST /x", "http.request.method", "n", "f", "ok", "list", "nums"]), "names and keys are interned, once each");
  const unpacked = new SpanUnpacker(resource).unpack(structuredClone(message));

  assert.deepEqual(unpacked.map((s) => [s.name, s.parentSpanContext?.spanId, s.spanContext().spanId]), originals.map((s) => [s.name, s.parentSpanContext?.spanId, s.spanContext().spanId]));
  assert.equal(unpacked[2]!.spanContext().traceState?.serialize(), "vendor=x,other=y");
  assert.equal(unpacked[2]!.parentSpanContext?.isRemote, true);
  assert.deepEqual(unpacked[0]!.duration, originals[0]!.duration);
  const bytes = (spans: unknown[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans));
  assert.ok(bytes(originals).length > 300);
  assert.deepEqual(bytes(unpacked), bytes(originals));
});

function tracerFor(resource: ReturnType<typeof resourceFromAttributes>) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(memory)] });
  return { tracer: provider.getTracer("hotswap"), memory };
}

test("the string table starts over past its limit on both sides; values of every attribute type arrive as they were", () => {
  const resource = resourceFromAttributes({ "service.name": "svc" });
  const { tracer, memory } = tracerFor(resource);
  const packer = new SpanPacker();
  const unpacker = new SpanUnpacker(resource);
  const names = (spans: { name: string; attributes: unknown }[]) => spans.map((s) => [s.name, s.attributes]);
  // Enough distinct names and keys to pass the limit twice, over several batches.
  for (let batch = 0; batch < 5; batch++) {
    memory.reset();
    for (let i = 0; i < TABLE_LIMIT / 4; i++) tracer.startSpan(`span-${batch}-${i}`, { attributes: { [`key-${batch}-${i}`]: `req-${i}`, "hotswap.function": "fn" } }).end();
    for (const s of memory.getFinishedSpans()) packer.add(s);
    const got = unpacker.unpack(structuredClone(packer.take()));
    assert.deepEqual(names(got), names(memory.getFinishedSpans()), `batch ${batch}`);
  }
  memory.reset();
  tracer.startSpan("odd", { attributes: { nan: Number.NaN, inf: [1, Number.POSITIVE_INFINITY], holes: ["a", undefined as unknown as string] } }).end();
  for (const s of memory.getFinishedSpans()) packer.add(s);
  const [odd] = unpacker.unpack(structuredClone(packer.take()));
  assert.deepEqual(odd!.attributes, { nan: Number.NaN, inf: [1, Number.POSITIVE_INFINITY], holes: ["a", undefined] });
});
