import { test } from "node:test";
import assert from "node:assert/strict";
import { SpanKind } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { startOtlpReceiver } from "../../tests/support/otlp-receiver.ts";
import { SpanHandoff } from "./span-handoff.ts";

test("a worker that falls behind costs bounded memory: spans past maxBatchesInFlight are dropped and counted, later ones still arrive", async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  // The worker's own queue is left large so that everything handed over is exported.
  process.env.OTEL_BSP_MAX_QUEUE_SIZE = "100000";
  process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE = "2048";
  const handoff = new SpanHandoff({ tracesUrl: `${receiver.url}/v1/traces`, resource: { "service.name": "handoff-test" } }, { maxBatchesInFlight: 2 });
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ "service.name": "handoff-test" }), spanProcessors: [handoff] });
  t.after(() => provider.shutdown());
  const tracer = provider.getTracer("test");

  // In one synchronous run the worker's acknowledgements cannot arrive: two batches of 256 go,
  // the rest of the flood is dropped before it is packed.
  for (let i = 0; i < 1000; i++) tracer.startSpan(`flood-${i}`, { kind: SpanKind.INTERNAL }).end();
  assert.equal(handoff.dropped, 1000 - 2 * 256);

  await handoff.forceFlush();
  // Once the worker has caught up, spans are accepted again, named from the same shared table.
  for (let i = 0; i < 10; i++) tracer.startSpan(`after-${i}`).end();
  await handoff.forceFlush();
  const names = await receiver.waitFor((spans) => (spans.length >= 2 * 256 + 10 ? spans.map((s) => s.name) : undefined), 10_000, "the exported spans");
  assert.equal(names.length, 2 * 256 + 10);
  assert.deepEqual(names.filter((n) => n.startsWith("flood-")).sort(), Array.from({ length: 512 }, (_, i) => `flood-${i}`).sort());
  assert.deepEqual(names.filter((n) => n.startsWith("after-")).sort(), Array.from({ length: 10 }, (_, i) => `after-${i}`).sort());
  assert.equal(handoff.dropped, 488);
});
