/**
 * A real OTLP/HTTP trace receiver for tests: an HTTP server on 127.0.0.1 that accepts
 * `POST /v1/traces` as protobuf (what HotSwap's exporter sends: @opentelemetry/exporter-trace-otlp-proto)
 * or JSON, decodes every span with its resource's service.name, and lets a test wait for spans.
 * Protobuf is decoded with the decoder generated from opentelemetry-proto that OpenTelemetry's own
 * otlp-transformer ships (protobufjs), not by hand. Other content types are refused with 415 and counted.
 */
import { createServer, type Server } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import otlpProtos from "@opentelemetry/otlp-transformer/build/src/generated/root.js";

const ExportTraceServiceRequest = (otlpProtos as any).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/** An OTLP protobuf ExportTraceServiceRequest as the OTLP JSON encoding writes it (hex ids, string int64s). */
export function protobufToOtlpJson(body: Uint8Array): any {
  const msg = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), { longs: String, enums: Number, bytes: String });
  const hex = (b64: string | undefined) => (b64 ? Buffer.from(b64, "base64").toString("hex") : "");
  for (const rs of msg.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        s.traceId = hex(s.traceId);
        s.spanId = hex(s.spanId);
        s.parentSpanId = hex(s.parentSpanId);
      }
    }
  }
  return msg;
}

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
export const STATUS_ERROR = 2;

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
  startNs: bigint;
  endNs: bigint;
}

export interface OtlpReceiver {
  /** Base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  /** Requests refused because they were neither protobuf nor JSON. */
  refused: number;
  /** Export requests received as protobuf. */
  protobuf: number;
  /** Export requests received. */
  requests: number;
  /** Wait until `pick` finds what it wants in the spans received (it returns undefined until then). */
  waitFor<T>(pick: (spans: ReceivedSpan[]) => T | undefined, timeoutMs?: number, what?: string): Promise<T>;
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };

function valueOf(v: AnyValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  return JSON.stringify(v);
}

function attributesOf(list: Array<{ key: string; value: AnyValue }> | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const a of list ?? []) out[a.key] = valueOf(a.value);
  return out;
}

/** Spans of one OTLP JSON ExportTraceServiceRequest. */
export function decodeOtlpJson(body: any): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const service = String(attributesOf(rs.resource?.attributes)["service.name"] ?? "");
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          service,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? "",
          name: s.name,
          kind: s.kind,
          attributes: attributesOf(s.attributes),
          statusCode: s.status?.code ?? 0,
          statusMessage: s.status?.message ?? "",
          startNs: BigInt(s.startTimeUnixNano),
          endNs: BigInt(s.endTimeUnixNano),
        });
      }
    }
  }
  return out;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const r = { spans: [] as ReceivedSpan[], refused: 0, requests: 0, protobuf: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      r.requests++;
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      const type = String(req.headers["content-type"] ?? "");
      const proto = type.startsWith("application/x-protobuf");
      if (!proto && !type.startsWith("application/json")) {
        r.refused++;
        res.writeHead(415).end();
        return;
      }
      try {
        const body = Buffer.concat(chunks);
        r.spans.push(...decodeOtlpJson(proto ? protobufToOtlpJson(body) : JSON.parse(body.toString("utf8"))));
        if (proto) r.protobuf++;
      } catch {
        res.writeHead(400).end();
        return;
      }
      // An empty ExportTraceServiceResponse: no partial success to report.
      res.writeHead(200, { "content-type": proto ? "application/x-protobuf" : "application/json" }).end(proto ? "" : "{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get spans() {
      return r.spans;
    },
    get refused() {
      return r.refused;
    },
    get requests() {
      return r.requests;
    },
    get protobuf() {
      return r.protobuf;
    },
    async waitFor(pick, timeoutMs = 15_000, what = "spans") {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = pick(r.spans);
        if (got !== undefined) return got;
        if (Date.now() > deadline) {
          const seen = r.spans.map((s) => `${s.service}:${s.name}`).join(", ");
          throw new Error(`no ${what} within ${timeoutMs} ms; received ${r.spans.length} spans: ${seen}`);
        }
        await sleep(50);
      }
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
