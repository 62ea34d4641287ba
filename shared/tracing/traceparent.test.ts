import { test } from "node:test";
import assert from "node:assert/strict";
import { formatTraceparent, parseTraceparent, passThroughTraceparent, traceIdOf, xrayTraceId } from "./traceparent.ts";

const TP = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

test("parses a W3C traceparent with its tracestate and writes it back", () => {
  const sc = parseTraceparent(TP, "vendor=x")!;
  assert.equal(sc.traceId, "0af7651916cd43dd8448eb211c80319c");
  assert.equal(sc.spanId, "b7ad6b7169203331");
  assert.equal(sc.traceState?.get("vendor"), "x");
  assert.equal(formatTraceparent(sc), TP);
  for (const bad of ["00-abc-def-01", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "zz", ""]) assert.equal(parseTraceparent(bad), undefined, bad);
});

test("the trace id of a traceparent", () => {
  assert.equal(traceIdOf(TP), "0af7651916cd43dd8448eb211c80319c");
  assert.equal(traceIdOf("nope"), undefined);
  assert.equal(traceIdOf(undefined), undefined);
});

test("passes a valid incoming traceparent through; otherwise the request id (a UUID) becomes an unsampled trace", () => {
  assert.equal(passThroughTraceparent(TP, "whatever"), TP);
  assert.equal(passThroughTraceparent("garbage", "0F6C1F0E-8A4B-4C1E-9D1A-2B3C4D5E6F70"), "00-0f6c1f0e8a4b4c1e9d1a2b3c4d5e6f70-9d1a2b3c4d5e6f70-00");
  assert.match(passThroughTraceparent(undefined, "caller-chosen-id"), /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
});

test("maps a traceparent to X-Ray's header as AWS does", () => {
  assert.equal(xrayTraceId(TP), "Root=1-0af76519-16cd43dd8448eb211c80319c;Parent=b7ad6b7169203331;Sampled=1");
  assert.equal(xrayTraceId(TP.replace(/01$/, "00")), "Root=1-0af76519-16cd43dd8448eb211c80319c;Parent=b7ad6b7169203331;Sampled=0");
  assert.equal(xrayTraceId("00-abc"), undefined);
});
