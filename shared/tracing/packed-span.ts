/**
 * Finished spans in the compact form the process hands to its export worker (span-export-worker.ts):
 * SpanPacker copies what OTLP carries of each ReadableSpan (ids, parent, name, kind, times, status,
 * attributes, events, links, dropped counts) into one flat array of numbers and strings per batch,
 * and SpanUnpacker rebuilds ReadableSpans that the standard OTLP exporter serialises to the same
 * bytes as the originals. Cloning strings is most of what postMessage costs, so span and event names
 * and attribute keys are interned: sent once, then named by their index in a table both sides keep
 * (attribute values are mostly unique, request ids and the like, and interning them cost more than
 * it saved, measured). The table is bounded: past TABLE_LIMIT entries both sides start a new one
 * between batches. Resource and instrumentation scopes are not repeated per span: the resource is
 * the worker's, the scope an index into the batch's list.
 */
import type { Attributes, AttributeValue, HrTime, Link, SpanContext, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { TraceState, hrTimeDuration, type InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace-base";

type Packed = string | number | boolean | AttributeValue | undefined;

/** One batch of packed spans. */
export interface PackedBatch {
  /** The receiver starts a new string table before reading this batch. */
  reset: boolean;
  /** Strings new to the table, in the order of their indexes. */
  strings: string[];
  scopes: InstrumentationScope[];
  values: Packed[];
}

/** Interned strings kept (per side) before the table starts over. */
export const TABLE_LIMIT = 4096;

/** Packs ended spans into the current batch; `take` hands the batch over and begins the next. */
export class SpanPacker {
  private table = new Map<string, number>();
  private reset = false;
  private strings: string[] = [];
  private scopes: InstrumentationScope[] = [];
  private values: Packed[] = [];
  /** Spans in the current batch. */
  count = 0;

  add(span: ReadableSpan): void {
    const out = this.values;
    let scope = this.scopes.indexOf(span.instrumentationScope);
    if (scope < 0) scope = this.scopes.push(span.instrumentationScope) - 1;
    const sc = span.spanContext();
    out.push(scope, this.ref(span.name), span.kind, sc.traceId, sc.spanId, sc.traceFlags, sc.traceState?.serialize() ?? "");
    const parent = span.parentSpanContext;
    if (parent === undefined) out.push(0);
    else {
      out.push(1);
      this.context(parent);
    }
    out.push(span.startTime[0], span.startTime[1], span.endTime[0], span.endTime[1], span.status.code, span.status.message ?? "");
    this.attributes(span.attributes);
    out.push(span.droppedAttributesCount, span.events.length);
    for (const e of span.events) {
      out.push(this.ref(e.name), e.time[0], e.time[1], e.droppedAttributesCount ?? 0);
      this.attributes(e.attributes);
    }
    out.push(span.droppedEventsCount, span.links.length);
    for (const l of span.links) {
      this.context(l.context);
      out.push(l.droppedAttributesCount ?? 0);
      this.attributes(l.attributes);
    }
    out.push(span.droppedLinksCount);
    this.count++;
  }

  /** The batch so far (for postMessage); the next one begins. */
  take(): PackedBatch {
    const batch: PackedBatch = { reset: this.reset, strings: this.strings, scopes: this.scopes, values: this.values };
    this.reset = this.table.size >= TABLE_LIMIT;
    if (this.reset) this.table = new Map();
    this.strings = [];
    this.scopes = [];
    this.values = [];
    this.count = 0;
    return batch;
  }

  /** The table index of `s`, adding it when new. */
  private ref(s: string): number {
    let i = this.table.get(s);
    if (i === undefined) {
      i = this.table.size;
      this.table.set(s, i);
      this.strings.push(s);
    }
    return i;
  }

  private context(sc: SpanContext): void {
    this.values.push(sc.traceId, sc.spanId, sc.traceFlags, sc.traceState?.serialize() ?? "", sc.isRemote === true ? 1 : 0);
  }

  /** Count, then per attribute: the key's table index and the value. */
  private attributes(attributes: Attributes | undefined): void {
    const out = this.values;
    if (attributes === undefined) {
      out.push(0);
      return;
    }
    const keys = Object.keys(attributes);
    out.push(keys.length);
    for (const k of keys) out.push(this.ref(k), attributes[k]);
  }
}

/** Rebuilds the spans of packed batches, keeping the string table across them. */
export class SpanUnpacker {
  private table: string[] = [];
  private v: Packed[] = [];
  private i = 0;

  constructor(private readonly resource: Resource) {}

  /** The spans of one batch (as SpanPacker.take returned it), as ReadableSpans of the resource. */
  unpack(batch: PackedBatch): ReadableSpan[] {
    if (batch.reset) this.table = [];
    for (const s of batch.strings) this.table.push(s);
    this.v = batch.values;
    this.i = 0;
    const spans: ReadableSpan[] = [];
    while (this.i < this.v.length) spans.push(this.span(batch.scopes));
    return spans;
  }

  private span(scopes: InstrumentationScope[]): ReadableSpan {
    const instrumentationScope = scopes[this.num()]!;
    const name = this.interned();
    const kind = this.num() as SpanKind;
    const ctx: SpanContext = { traceId: this.str(), spanId: this.str(), traceFlags: this.num() };
    const ts = this.traceState();
    if (ts !== undefined) ctx.traceState = ts;
    const parentSpanContext = this.num() === 1 ? this.context() : undefined;
    const startTime = this.time();
    const endTime = this.time();
    const code = this.num() as SpanStatusCode;
    const message = this.str();
    const attributes = this.attributes();
    const droppedAttributesCount = this.num();
    const events: TimedEvent[] = [];
    for (let n = this.num(); n > 0; n--) {
      const e: TimedEvent = { name: this.interned(), time: this.time(), droppedAttributesCount: this.num() };
      e.attributes = this.attributes();
      events.push(e);
    }
    const droppedEventsCount = this.num();
    const links: Link[] = [];
    for (let n = this.num(); n > 0; n--) {
      const context = this.context();
      links.push({ context, droppedAttributesCount: this.num(), attributes: this.attributes() });
    }
    return {
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
      resource: this.resource,
      instrumentationScope,
      droppedAttributesCount,
      droppedEventsCount,
      droppedLinksCount: this.num(),
    };
  }

  private str(): string {
    return this.v[this.i++] as string;
  }
  private num(): number {
    return this.v[this.i++] as number;
  }
  private interned(): string {
    return this.table[this.num()]!;
  }
  private time(): HrTime {
    return [this.num(), this.num()];
  }
  private traceState(): TraceState | undefined {
    const s = this.str();
    return s === "" ? undefined : new TraceState(s);
  }
  private context(): SpanContext {
    const sc: SpanContext = { traceId: this.str(), spanId: this.str(), traceFlags: this.num() };
    const ts = this.traceState();
    if (ts !== undefined) sc.traceState = ts;
    if (this.num() === 1) sc.isRemote = true;
    return sc;
  }
  private attributes(): Attributes {
    const out: Attributes = {};
    for (let n = this.num(); n > 0; n--) out[this.interned()] = this.v[this.i++] as AttributeValue;
    return out;
  }
}
