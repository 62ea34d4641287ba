/**
 * The span processor of a deployable's tracer provider: as each span ends it is packed
 * (packed-span.ts: flat, names and keys interned) into the current batch, and the batch goes to
 * the export worker (span-export-worker.ts) by postMessage when it is full or a few milliseconds
 * after its first span. Batching, the queue limit, OTLP serialisation and the HTTP export all happen on the
 * worker's thread, with the standard OTEL_BSP_* and OTEL_EXPORTER_OTLP_* settings; the request
 * path pays only for packing. The worker acknowledges each batch; with `maxBatchesInFlight` batches
 * unacknowledged (a starved worker), further spans are dropped before they are packed (so the
 * name table both sides share stays in step), counted in `dropped` and reported through
 * OpenTelemetry's diag logger: memory stays bounded. A worker that fails is reported the same way
 * and its spans are dropped: tracing never takes the process down.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { diag } from "@opentelemetry/api";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { SpanPacker } from "./packed-span.ts";
import type { ExportWorkerData, FromExportWorker, ToExportWorker } from "./span-export-worker.ts";

/** Spans per postMessage at most. */
const BATCH_SPANS = 256;
/** How long a batch waits for more spans before it is handed over (ms). */
const BATCH_DELAY_MS = 20;
/** Batches handed over and not yet taken by the worker, at most (64 × 256 spans, a few MB). */
const MAX_BATCHES_IN_FLIGHT = 64;
/** How often at most a drop is reported (ms). */
const DROP_REPORT_MS = 10_000;

export interface SpanHandoffOptions {
  /** @default 64 */
  maxBatchesInFlight?: number;
}

/** The worker, from TypeScript sources (under tsx, as in development and tests) or from the built package. */
function startWorker(data: ExportWorkerData): Worker {
  if (import.meta.url.endsWith(".ts")) {
    // A worker does not inherit the --import tsx of its parent on Node 20: register tsx's loader in it first.
    const tsx = createRequire(import.meta.url).resolve("tsx/cjs");
    const entry = new URL("./span-export-worker.ts", import.meta.url).pathname;
    return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`, { eval: true, workerData: data });
  }
  return new Worker(new URL("./span-export-worker.js", import.meta.url), { workerData: data });
}

export class SpanHandoff implements SpanProcessor {
  private readonly worker: Worker;
  private readonly packer = new SpanPacker();
  private timer: NodeJS.Timeout | undefined;
  private readonly waiting = new Map<number, () => void>();
  private nextId = 1;
  private failed = false;
  private stopped = false;
  private inFlight = 0;
  private readonly maxInFlight: number;
  private lastDropReport = 0;
  /** Spans dropped because the worker had fallen `maxBatchesInFlight` batches behind. */
  dropped = 0;

  constructor(data: ExportWorkerData, opts: SpanHandoffOptions = {}) {
    this.maxInFlight = opts.maxBatchesInFlight ?? MAX_BATCHES_IN_FLIGHT;
    this.worker = startWorker(data);
    this.worker.unref();
    this.worker.on("message", (m: FromExportWorker) => {
      if ("taken" in m) {
        this.inFlight--;
        return;
      }
      this.waiting.get(m.done)?.();
      this.waiting.delete(m.done);
    });
    this.worker.on("error", (e) => this.fail(e));
    this.worker.on("exit", () => this.fail());
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.failed || this.stopped || (span.spanContext().traceFlags & 1) === 0) return;
    if (this.inFlight >= this.maxInFlight) return this.drop();
    this.packer.add(span);
    if (this.packer.count >= BATCH_SPANS) this.handOver();
    else this.timer ??= setTimeout(() => this.handOver(), BATCH_DELAY_MS).unref();
  }

  /** Every span ended so far, exported. */
  forceFlush(): Promise<void> {
    return this.ask("flush");
  }

  /** Export what is left, then stop the worker. */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.ask("shutdown");
    this.stopped = true;
    await this.worker.terminate();
  }

  private handOver(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.packer.count === 0) return;
    this.inFlight++;
    this.post({ spans: this.packer.take() });
  }

  private drop(): void {
    this.dropped++;
    const now = Date.now();
    if (now - this.lastDropReport < DROP_REPORT_MS) return;
    this.lastDropReport = now;
    diag.warn(`the span export worker is ${this.inFlight} batches behind; ${this.dropped} spans dropped so far`);
  }

  private post(m: ToExportWorker): void {
    if (!this.failed) this.worker.postMessage(m);
  }

  private ask(what: "flush" | "shutdown"): Promise<void> {
    if (this.failed || this.stopped) return Promise.resolve();
    this.handOver();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.post(what === "flush" ? { flush: id } : { shutdown: id });
    });
  }

  private fail(e?: Error): void {
    if (this.failed) return;
    this.failed = true;
    if (!this.stopped) diag.error(`the span export worker stopped${e ? `: ${e.message}` : ""}; spans are no longer exported`);
    for (const resolve of this.waiting.values()) resolve();
    this.waiting.clear();
    clearTimeout(this.timer);
  }
}
