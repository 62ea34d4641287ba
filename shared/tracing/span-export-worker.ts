/**
 * The export worker: a thread of its own that turns the spans the process hands it (packed, see
 * packed-span.ts) back into ReadableSpans and exports them with the standard pieces: a
 * BatchSpanProcessor (OTEL_BSP_* settings) in front of the OTLP/HTTP protobuf exporter
 * (OTEL_EXPORTER_OTLP_* settings, the URL from TracingSettings). OTLP serialisation and the HTTP
 * POSTs thus never run on the event loop that serves requests. Started by SpanHandoff.
 */
import { parentPort, workerData } from "node:worker_threads";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { SpanUnpacker, type PackedBatch } from "./packed-span.ts";

/** What the worker is started with. */
export interface ExportWorkerData {
  tracesUrl: string;
  /** The resource's attributes (service.name, service.version). */
  resource: Record<string, string>;
}

/** Messages to the worker: a batch of spans, or a flush or shutdown to answer with `{ done: id }`. */
export type ToExportWorker = { spans: PackedBatch } | { flush: number } | { shutdown: number };
/** Messages from the worker: a batch of spans taken (into the BatchSpanProcessor's queue), or a flush or shutdown done. */
export type FromExportWorker = { taken: 1 } | { done: number };

const data = workerData as ExportWorkerData;
const unpacker = new SpanUnpacker(resourceFromAttributes(data.resource));
const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: data.tracesUrl }));
const port = parentPort!;

port.on("message", (m: ToExportWorker) => {
  if ("spans" in m) {
    for (const span of unpacker.unpack(m.spans)) processor.onEnd(span);
    port.postMessage({ taken: 1 } satisfies FromExportWorker);
  } else if ("flush" in m) {
    void processor.forceFlush().finally(() => port.postMessage({ done: m.flush } satisfies FromExportWorker));
  } else {
    void processor.shutdown().finally(() => port.postMessage({ done: m.shutdown } satisfies FromExportWorker));
  }
});
