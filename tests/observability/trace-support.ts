/**
 * What the trace tests share: the fixture functions that return the trace context their handler
 * saw (Node and Python, both protocols), raw invokes on both paths with an optional traceparent,
 * and checks of a received span tree.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { deployFunction, nodeCode, type ApiTarget } from "../support/deploy.ts";
import type { ReceivedSpan } from "../support/otlp-receiver.ts";

/** Node handler: the trace context in its environment and on its context. */
export const NODE_TRACE_HANDLER = `exports.handler = async (event, context) => {
  if (event.fail) throw new Error("asked to fail");
  return { xray: process.env._X_AMZN_TRACE_ID ?? null, traceparent: process.env.TRACEPARENT ?? null,
    ctxTraceparent: context.traceparent ?? null, ctxXray: context.xRayTraceId ?? null };
};`;

export const PYTHON_TRACE_HANDLER = `import os


def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    return {"xray": os.environ.get("_X_AMZN_TRACE_ID"), "traceparent": os.environ.get("TRACEPARENT"),
            "ctxTraceparent": context.traceparent, "ctxXray": context.xray_trace_id}
`;

export interface TraceFunction {
  name: string;
  runtime: "nodejs20" | "python3.12";
  protocol: "fast" | "runtime-api";
}

/** The four trace fixtures: Node and Python on the fast channel and on the Runtime API. */
export const TRACE_FUNCTIONS: TraceFunction[] = [
  { name: "trace-node-fast", runtime: "nodejs20", protocol: "fast" },
  { name: "trace-node-api", runtime: "nodejs20", protocol: "runtime-api" },
  { name: "trace-py-fast", runtime: "python3.12", protocol: "fast" },
  { name: "trace-py-api", runtime: "python3.12", protocol: "runtime-api" },
];

export async function deployTraceFunctions(target: ApiTarget, fns: TraceFunction[] = TRACE_FUNCTIONS): Promise<void> {
  for (const f of fns) {
    const code = f.runtime === "nodejs20" ? nodeCode(NODE_TRACE_HANDLER) : { files: { "handler.py": PYTHON_TRACE_HANDLER } };
    await deployFunction(target, { name: f.name, runtime: f.runtime, handler: f.runtime === "nodejs20" ? "index.handler" : "handler.handler", protocol: f.protocol, code });
  }
}

/** A fresh sampled W3C traceparent: its trace id and the caller's span id. */
export function callerTraceparent(): { traceparent: string; traceId: string; spanId: string } {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceparent: `00-${traceId}-${spanId}-01`, traceId, spanId };
}

export interface Answer {
  status: number;
  headers: Headers;
  json: any;
}

/** POST an event on HotSwap's path or Lambda's, with the admin key and optional extra headers. */
export async function invokeRaw(target: ApiTarget, path: "hotswap" | "lambda", name: string, event: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const url = path === "hotswap" ? `${target.url}/api/v1/functions/${name}/invoke` : `${target.url}/2015-03-31/functions/${name}/invocations`;
  const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${target.key}`, "content-type": "application/json", ...headers }, body: JSON.stringify(event) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

/** The trace id of a traceparent header, failing the test when it is missing or malformed. */
export function traceIdOfHeader(h: string | null): string {
  assert.match(h ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/, `response traceparent "${h}"`);
  return h!.slice(3, 35);
}

/** The one span of the trace named `name` (fails when there are several). */
export function only(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `one "${name}" span expected; got ${found.length} among ${spans.map((s) => s.name).join(", ")}`);
  return found[0]!;
}

export function assertChild(child: ReceivedSpan, parent: ReceivedSpan): void {
  assert.equal(child.parentSpanId, parent.spanId, `"${child.name}" should be a child of "${parent.name}"`);
  assert.equal(child.traceId, parent.traceId);
}

/**
 * What the handler reported agrees with the span it ran under: the W3C traceparent names that
 * span, the X-Ray header the same trace and parent, in the environment (concurrency 1) and on the context.
 */
export function assertHandlerSaw(seen: any, traceId: string, parentSpanId: string, sampled = true): void {
  const tp = `00-${traceId}-${parentSpanId}-${sampled ? "01" : "00"}`;
  const xray = `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${parentSpanId};Sampled=${sampled ? 1 : 0}`;
  assert.deepEqual(seen, { xray, traceparent: tp, ctxTraceparent: tp, ctxXray: xray });
}

/**
 * The spans a cold invocation makes on its runner, checked as a tree under `parent` (the front
 * door's span when embedded, the runner's server span in a fleet): acquire instance → cold start,
 * and the invocation beside them, which ran cold and succeeded.
 */
export function coldInvocationSpans(spans: ReceivedSpan[], parent: ReceivedSpan): { acquire: ReceivedSpan; coldStart: ReceivedSpan; invocation: ReceivedSpan } {
  const acquire = only(spans, "acquire instance");
  const coldStart = only(spans, "cold start");
  const invocation = only(spans, "invocation");
  assertChild(acquire, parent);
  assertChild(coldStart, acquire);
  assertChild(invocation, parent);
  assert.equal(invocation.attributes["hotswap.outcome"], "success");
  assert.equal(invocation.attributes["faas.coldstart"], true);
  return { acquire, coldStart, invocation };
}
