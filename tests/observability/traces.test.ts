/**
 * OpenTelemetry traces of a real embedded platform (`hotswap server --embedded-runner`), exported
 * over OTLP/HTTP to a real receiver started here: the span tree of an invocation on both paths
 * (front door → authenticate, resolve qualifier, acquire instance → cold start, invocation), one
 * trace id from the caller's traceparent to the response and the handler (Node and Python, fast
 * channel and Runtime API), error status on function errors, nothing exported with the sampler off,
 * and the traceparent answered with tracing off too.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { startOtlpReceiver, SPAN_KIND, STATUS_ERROR, type OtlpReceiver, type ReceivedSpan } from "../support/otlp-receiver.ts";
import { TRACE_FUNCTIONS, assertChild, assertHandlerSaw, callerTraceparent, coldInvocationSpans, deployTraceFunctions, invokeRaw, only, traceIdOfHeader } from "./trace-support.ts";

// The batch processor reads its delay from the standard variable when the platform starts it.
process.env.OTEL_BSP_SCHEDULE_DELAY = "50";

const HOTSWAP_ROUTE = "POST /api/v1/functions/{name}/invoke";
const LAMBDA_ROUTE = "POST /2015-03-31/functions/{FunctionName}/invocations";

/** Every span of `traceId` once the invocation span and the front door's have arrived. */
function treeOf(receiver: OtlpReceiver, traceId: string, route = HOTSWAP_ROUTE): Promise<ReceivedSpan[]> {
  return receiver.waitFor((spans) => {
    const mine = spans.filter((s) => s.traceId === traceId);
    return mine.some((s) => s.name === "invocation") && mine.some((s) => s.name === route) ? mine : undefined;
  }, 15_000, `the spans of trace ${traceId}`);
}

describe("traces of an embedded platform", () => {
  let receiver: OtlpReceiver;
  let p: TestPlatform;

  before(async () => {
    receiver = await startOtlpReceiver();
    p = await startPlatform("embedded", { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    await deployTraceFunctions(p);
  });
  after(async () => {
    await p?.close();
    await receiver?.close();
  });

  for (const fn of TRACE_FUNCTIONS) {
    test(`${fn.name}: continues the caller's traceparent through every span to the handler, cold then warm`, async () => {
      const caller = callerTraceparent();
      const cold = await invokeRaw(p, "hotswap", fn.name, {}, { traceparent: caller.traceparent });
      assert.equal(cold.status, 200, JSON.stringify(cold.json));
      assert.equal(traceIdOfHeader(cold.headers.get("traceparent")), caller.traceId);
      const spans = await treeOf(receiver, caller.traceId);

      const server = only(spans, HOTSWAP_ROUTE);
      assert.equal(server.service, "hotswap-control-plane");
      assert.equal(server.kind, SPAN_KIND.SERVER);
      assert.equal(server.parentSpanId, caller.spanId, "the front door's span continues the caller's");
      assert.equal(server.attributes["http.request.method"], "POST");
      assert.equal(server.attributes["http.response.status_code"], 200);
      assert.equal(server.attributes["hotswap.request_id"], cold.headers.get("x-request-id"));
      assert.equal(cold.headers.get("traceparent"), `00-${caller.traceId}-${server.spanId}-01`, "the response names the front door's span");

      const auth = only(spans, "authenticate");
      const routing = only(spans, "resolve qualifier");
      for (const step of [auth, routing]) {
        assertChild(step, server);
        assert.equal(step.kind, SPAN_KIND.INTERNAL);
      }
      assert.equal(routing.attributes["hotswap.version"], 1);

      const { coldStart, invocation } = coldInvocationSpans(spans, server);
      // One process, one exporter: the embedded runner's spans go out with the control plane's.
      assert.equal(coldStart.service, "hotswap-control-plane");
      assert.ok(receiver.protobuf > 0 && receiver.refused === 0, "spans arrive as OTLP protobuf");
      assert.equal(coldStart.attributes["hotswap.cold_start.kind"], "fresh");
      assert.ok(Number(coldStart.attributes["hotswap.init_duration_ms"]) > 0);
      assert.equal(invocation.attributes["hotswap.function"], fn.name);
      assert.equal(invocation.attributes["hotswap.version"], 1);
      assert.equal(invocation.attributes["hotswap.request_id"], cold.headers.get("x-request-id"));
      assertHandlerSaw(cold.json, caller.traceId, invocation.spanId);

      const warmCaller = callerTraceparent();
      const warm = await invokeRaw(p, "hotswap", fn.name, {}, { traceparent: warmCaller.traceparent });
      assert.equal(warm.status, 200);
      const warmSpans = await treeOf(receiver, warmCaller.traceId);
      const warmInvocation = only(warmSpans, "invocation");
      assertChild(warmInvocation, only(warmSpans, HOTSWAP_ROUTE));
      assert.equal(warmInvocation.attributes["faas.coldstart"], false);
      assert.equal(warmSpans.filter((s) => s.name === "cold start" || s.name === "acquire instance").length, 0, "a warm invocation acquires nothing");
      assertHandlerSaw(warm.json, warmCaller.traceId, warmInvocation.spanId);
    });
  }

  test("starts a trace when the caller sends none, and answers its traceparent", async () => {
    const r = await invokeRaw(p, "hotswap", "trace-node-fast", {});
    assert.equal(r.status, 200);
    const traceId = traceIdOfHeader(r.headers.get("traceparent"));
    const spans = await treeOf(receiver, traceId);
    const server = only(spans, HOTSWAP_ROUTE);
    assert.equal(server.parentSpanId, "", "a new trace's front door span is its root");
    assertHandlerSaw(r.json, traceId, only(spans, "invocation").spanId);
  });

  test("the Lambda path continues the trace and answers traceparent and X-Amzn-Trace-Id", async () => {
    const caller = callerTraceparent();
    const r = await invokeRaw(p, "lambda", "trace-py-fast", {}, { traceparent: caller.traceparent });
    assert.equal(r.status, 200);
    const spans = await treeOf(receiver, caller.traceId, LAMBDA_ROUTE);
    const server = only(spans, LAMBDA_ROUTE);
    assert.equal(server.parentSpanId, caller.spanId);
    assert.equal(r.headers.get("traceparent"), `00-${caller.traceId}-${server.spanId}-01`);
    assert.equal(r.headers.get("x-amzn-trace-id"), `Root=1-${caller.traceId.slice(0, 8)}-${caller.traceId.slice(8)};Parent=${server.spanId};Sampled=1`);
    assertHandlerSaw(r.json, caller.traceId, only(spans, "invocation").spanId);
  });

  test("a function error marks the invocation span failed; a refused request still gets a traceparent", async () => {
    const caller = callerTraceparent();
    const r = await invokeRaw(p, "hotswap", "trace-node-fast", { fail: true }, { traceparent: caller.traceparent });
    assert.equal(r.headers.get("x-hotswap-function-error"), "Unhandled");
    const invocation = only(await treeOf(receiver, caller.traceId), "invocation");
    assert.equal(invocation.statusCode, STATUS_ERROR);
    assert.equal(invocation.attributes["hotswap.outcome"], "function-error");

    const missing = callerTraceparent();
    const nf = await invokeRaw(p, "hotswap", "no-such-function", {}, { traceparent: missing.traceparent });
    assert.equal(nf.status, 404);
    assert.equal(traceIdOfHeader(nf.headers.get("traceparent")), missing.traceId);
    const routing = await receiver.waitFor((spans) => spans.find((s) => s.traceId === missing.traceId && s.name === "resolve qualifier"), 15_000, "the failed routing span");
    assert.equal(routing.statusCode, STATUS_ERROR);
  });
});

describe("traces with the sampler off, and with tracing off", () => {
  test("OTEL_TRACES_SAMPLER=always_off exports no span, and still answers a traceparent (unsampled)", async () => {
    const receiver = await startOtlpReceiver();
    const p = await startPlatform("embedded", { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: "always_off" });
    try {
      await deployTraceFunctions(p, [TRACE_FUNCTIONS[0]!]);
      const r = await invokeRaw(p, "hotswap", "trace-node-fast", {});
      assert.equal(r.status, 200);
      assert.match(r.headers.get("traceparent") ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      assert.equal(r.json.ctxTraceparent.slice(0, 35), r.headers.get("traceparent")!.slice(0, 35), "the handler sees the same trace");
    } finally {
      await p.close(); // flushes: anything sampled would be exported by now
      await receiver.close();
    }
    assert.equal(receiver.spans.length, 0, `no spans expected, got ${receiver.spans.map((s) => s.name).join(", ")}`);
    assert.equal(receiver.refused, 0);
  });

  test("without an endpoint the caller's traceparent passes through, or the request id becomes the trace id", async () => {
    const p = await startPlatform("embedded");
    try {
      await deployTraceFunctions(p, [TRACE_FUNCTIONS[0]!, TRACE_FUNCTIONS[3]!]);
      const caller = callerTraceparent();
      const passed = await invokeRaw(p, "hotswap", "trace-node-fast", {}, { traceparent: caller.traceparent });
      assert.equal(passed.headers.get("traceparent"), caller.traceparent);
      assertHandlerSaw(passed.json, caller.traceId, caller.spanId);

      const fresh = await invokeRaw(p, "lambda", "trace-py-api", {});
      assert.equal(fresh.status, 200);
      const requestId = fresh.headers.get("x-amzn-requestid")!;
      const hex = requestId.replace(/-/g, "");
      assert.equal(fresh.headers.get("traceparent"), `00-${hex}-${hex.slice(16)}-00`);
      assert.equal(fresh.headers.get("x-amzn-trace-id"), `Root=1-${hex.slice(0, 8)}-${hex.slice(8)};Parent=${hex.slice(16)};Sampled=0`);
      assertHandlerSaw(fresh.json, hex, hex.slice(16), false);
    } finally {
      await p.close();
    }
  });
});
