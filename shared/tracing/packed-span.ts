/**
 * Finished spans as flat arrays of primitives, the form in which the process hands them to its
 * export worker (span-export-worker.ts): packing copies what OTLP carries of a ReadableSpan (ids,
 * parent, names, times, status, attributes, events, links, dropped counts) into one array per batch,
 * which postMessage clones far more cheaply than span objects, and unpacking rebuilds ReadableSpans
 * that the standard OTLP exporter serialises to the same bytes as the originals. Resource and
 * instrumentation scopes are not repeated per span: the resource is the worker's, the scope an
 * index into the batch's table.
 */
import type { Attributes, AttributeValue, HrTime, Link, SpanContext, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { TraceState, hrTimeDuration, type InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace-base";

/** One packed value: what attributes may hold, and the numbers and strings of the layout. */
type Packed = string | number | boolean | AttributeValue | undefined;

/** A batch of packed spans and the instrumentation scopes they name by index. */
export interface PackedBatch {
  scopes: InstrumentationScope[];
  values: Packed[];
}

function packAttributes(out: Packed[], attributes: Attributes | undefined): void {
  if (attributes === undefined) {
    out.push(0);
    return;
  }
  const keys = Object.keys(attributes);
  out.push(keys.length);
  for (const k of keys) out.push(k, attributes[k]);
}

function packContext(out: Packed[], sc: SpanContext): void {
  out.push(sc.traceId, sc.spanId, sc.traceFlags, sc.traceState?.serialize() ?? "", sc.isRemote === true);
}

/** Append `span` to `out`; `scope` is the index of its instrumentation scope in the batch's table. */
export function packSpan(out: Packed[], span: ReadableSpan, scope: number): void {
  const sc = span.spanContext();
  out.push(scope, span.name, span.kind, sc.traceId, sc.spanId, sc.traceFlags, sc.traceState?.serialize() ?? "");
  const parent = span.parentSpanContext;
  if (parent === undefined) out.push(false);
  else {
    out.push(true);
    packContext(out, parent);
  }
  out.push(span.startTime[0], span.startTime[1], span.endTime[0], span.endTime[1], span.status.code, span.status.message ?? "");
  packAttributes(out, span.attributes);
  out.push(span.droppedAttributesCount, span.events.length);
  for (const e of span.events) {
    out.push(e.name, e.time[0], e.time[1], e.droppedAttributesCount ?? 0);
    packAttributes(out, e.attributes);
  }
  out.push(span.droppedEventsCount, span.links.length);
  for (const l of span.links) {
    packContext(out, l.context);
    out.push(l.droppedAttributesCount ?? 0);
    packAttributes(out, l.attributes);
  }
  out.push(span.droppedLinksCount);
}

/** Reads a packed batch back, value by value. */
class Reader {
  i = 0;
  constructor(private readonly v: Packed[]) {}
  get done(): boolean {
    return this.i >= this.v.length;
  }
  next(): Packed {
    return this.v[this.i++];
  }
  str(): string {
    return this.v[this.i++] as string;
  }
  num(): number {
    return this.v[this.i++] as number;
  }
  time(): HrTime {
    return [this.num(), this.num()];
  }
  traceState(): TraceState | undefined {
    const s = this.str();
    return s === "" ? undefined : new TraceState(s);
  }
  attributes(): Attributes {
    const out: Attributes = {};
    for (let n = this.num(); n > 0; n--) out[this.str()] = this.next() as AttributeValue;
    return out;
  }
  context(): SpanContext {
    const sc: SpanContext = { traceId: this.str(), spanId: this.str(), traceFlags: this.num() };
    const ts = this.traceState();
    if (ts !== undefined) sc.traceState = ts;
    if (this.next() === true) sc.isRemote = true;
    return sc;
  }
}

/** The spans of a packed batch, as ReadableSpans of `resource`. */
export function unpackSpans(batch: PackedBatch, resource: Resource): ReadableSpan[] {
  const r = new Reader(batch.values);
  const spans: ReadableSpan[] = [];
  while (!r.done) {
    const instrumentationScope = batch.scopes[r.num()]!;
    const name = r.str();
    const kind = r.num() as SpanKind;
    const ctx: SpanContext = { traceId: r.str(), spanId: r.str(), traceFlags: r.num() };
    const ts = r.traceState();
    if (ts !== undefined) ctx.traceState = ts;
    const parentSpanContext = r.next() === true ? r.context() : undefined;
    const startTime = r.time();
    const endTime = r.time();
    const code = r.num() as SpanStatusCode;
    const message = r.str();
    const attributes = r.attributes();
    const droppedAttributesCount = r.num();
    const events: TimedEvent[] = [];
    for (let n = r.num(); n > 0; n--) {
      const e: TimedEvent = { name: r.str(), time: r.time(), droppedAttributesCount: r.num() };
      e.attributes = r.attributes();
      events.push(e);
    }
    const droppedEventsCount = r.num();
    const links: Link[] = [];
    for (let n = r.num(); n > 0; n--) {
      const context = r.context();
      const droppedAttributesCount = r.num();
      links.push({ context, droppedAttributesCount, attributes: r.attributes() });
    }
    spans.push({
      name,
      kind,
      spanContext: () => ctx,
      parentSpanContext,
      startTime,
      endTime,
      status: message === "" ? { code } : { code, message },
      attributes,
      links,
      events,
      duration: hrTimeDuration(startTime, endTime),
      ended: true,
      resource,
      instrumentationScope,
      droppedAttributesCount,
      droppedEventsCount,
      droppedLinksCount: r.num(),
    });
  }
  return spans;
}
