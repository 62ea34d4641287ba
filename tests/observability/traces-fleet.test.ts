/**
 * OpenTelemetry traces across the fleet: a control plane in this process and a `hotswap runner`
 * process, both exporting to one real OTLP receiver. One invocation is one trace: the front door's
 * SERVER span → runner hop (CLIENT, control plane) → runner invoke (SERVER, runner) → acquire
 * instance → cold start, and invocation, with the traceparent carried over the fleet protocol and
 * on to the handler (Node and Python, fast channel and Runtime API).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { serversSkipReason } from "../support/platform.ts";
import { startCluster, type Cluster } from "../fleet/support/cluster.ts";
import { startOtlpReceiver, SPAN_KIND, type OtlpReceiver, type ReceivedSpan } from "../support/otlp-receiver.ts";
import { TRACE_FUNCTIONS, assertChild, assertHandlerSaw, callerTraceparent, coldInvocationSpans, deployTraceFunctions, invokeRaw, only, traceIdOfHeader } from "./trace-support.ts";

process.env.OTEL_BSP_SCHEDULE_DELAY = "50";

const HOTSWAP_ROUTE = "POST /api/v1/functions/{name}/invoke";

describe("traces across the fleet", async () => {
  const skip = await serversSkipReason();
  let receiver: OtlpReceiver;
  let cluster: Cluster;

  before(async () => {
    if (skip) return;
    receiver = await startOtlpReceiver();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "50" };
    cluster = await startCluster({ runners: 1, controlPlaneEnv: otel, runnerEnv: otel });
    await deployTraceFunctions(cluster.cp);
  });
  after(async () => {
    await cluster?.close();
    await receiver?.close();
  });

  for (const fn of TRACE_FUNCTIONS) {
    test(`${fn.name}: one trace from the caller through the hop and the runner to the handler`, { skip }, async () => {
      const caller = callerTraceparent();
      const r = await invokeRaw(cluster.cp, "hotswap", fn.name, {}, { traceparent: caller.traceparent });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(traceIdOfHeader(r.headers.get("traceparent")), caller.traceId);
      const spans: ReceivedSpan[] = await receiver.waitFor((all) => {
        const mine = all.filter((s) => s.traceId === caller.traceId);
        return mine.some((s) => s.name === "invocation") && mine.some((s) => s.name === "runner hop") && mine.some((s) => s.name === HOTSWAP_ROUTE) ? mine : undefined;
      }, 20_000, `the spans of ${fn.name}'s trace`);

      const server = only(spans, HOTSWAP_ROUTE);
      assert.equal(server.parentSpanId, caller.spanId);
      assertChild(only(spans, "authenticate"), server);
      assertChild(only(spans, "resolve qualifier"), server);
      const hop = only(spans, "runner hop");
      assertChild(hop, server);
      assert.equal(hop.kind, SPAN_KIND.CLIENT);
      assert.equal(hop.service, "hotswap-control-plane");
      const runnerSpan = only(spans, "runner invoke");
      assertChild(runnerSpan, hop);
      assert.equal(runnerSpan.kind, SPAN_KIND.SERVER);
      assert.equal(runnerSpan.service, "hotswap-runner");
      assert.equal(runnerSpan.attributes["hotswap.runner"], "r1");
      const { coldStart: cold, invocation } = coldInvocationSpans(spans, runnerSpan);
      // The runner keeps a Node stem, which a cold start may specialise: the span says what the answer says.
      assert.equal(cold.attributes["hotswap.cold_start.kind"], r.headers.get("x-hotswap-start"));
      assert.ok(fn.runtime === "nodejs20" || cold.attributes["hotswap.cold_start.kind"] === "fresh", "Python has no stem here");
      assert.equal(invocation.service, "hotswap-runner");
      assertHandlerSaw(r.json, caller.traceId, invocation.spanId);
    });
  }
});
