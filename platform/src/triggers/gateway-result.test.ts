import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gatewayAnswer, mapResult } from "./gateway-result.ts";

const ok = (value: unknown) => gatewayAnswer({ kind: "success", payload: Buffer.from(JSON.stringify(value)), coldStart: false, start: "warm", durationMs: 1 });

describe("gatewayAnswer", () => {
  it("a value without statusCode is 200 JSON: objects, arrays, numbers, null as JSON, strings as they are", () => {
    for (const [v, body] of [[{ a: 1 }, '{"a":1}'], [[1], "[1]"], [3.5, "3.5"], [null, "null"], ["plain", "plain"], [true, "true"]] as const) {
      const a = ok(v);
      assert.equal(a.status, 200);
      assert.equal(a.headers["content-type"], "application/json");
      assert.equal(a.body.toString(), body);
      assert.equal(a.failure, undefined);
    }
  });

  it("a statusCode response keeps its status, headers, cookies and body (base64 decoded, a non-string body as JSON)", () => {
    const a = mapResult({ statusCode: "302", headers: { Location: "/x", "X-N": 1, Skip: null }, cookies: ["a=1"], body: "" });
    assert.equal(a.status, 302);
    assert.deepEqual(a.headers, { location: "/x", "x-n": "1", "set-cookie": ["a=1"], "content-type": "application/json" });
    assert.equal(mapResult({ statusCode: 200, body: "aGk=", isBase64Encoded: true }).body.toString(), "hi");
    assert.equal(mapResult({ statusCode: 200, body: { a: 1 } }).body.toString(), '{"a":1}');
    assert.deepEqual(mapResult({ statusCode: 200, headers: { "set-cookie": "x=1" }, cookies: ["y=2"] }).headers["set-cookie"], ["x=1", "y=2"]);
    const hop = mapResult({ statusCode: 200, headers: { "Content-Length": "999", "Transfer-Encoding": "chunked", Connection: "close", "x-kept": "1" }, body: "ab" });
    assert.deepEqual(hop.headers, { "x-kept": "1", "content-type": "application/json" }, "connection headers are the gateway's own");
  });

  it("a 5xx from the function is a failed execution; an invalid response is 500 Internal Server Error", () => {
    assert.match(mapResult({ statusCode: 503 }).failure!, /HTTP 503/);
    for (const bad of [{ statusCode: 99 }, { statusCode: "abc" }, { statusCode: 200, headers: [] }, { statusCode: 200, headers: { a: { b: 1 } } }, { statusCode: 200, headers: { "bad name": "x" } }, { statusCode: 200, headers: { a: "x\ny" } }, { statusCode: 200, cookies: "a=1" }]) {
      const a = mapResult(bad);
      assert.equal(a.status, 500, JSON.stringify(bad));
      assert.equal(a.body.toString(), '{"message":"Internal Server Error"}');
      assert.ok(a.failure);
    }
  });

  it("maps errors as API Gateway does", () => {
    const fe = gatewayAnswer({ kind: "function-error", payload: Buffer.from('{"errorType":"TypeError","errorMessage":"x is undefined"}'), coldStart: false, start: "warm", durationMs: 1 });
    assert.equal(fe.status, 500);
    assert.equal(fe.body.toString(), '{"message":"Internal Server Error"}');
    assert.equal(fe.failure, "TypeError: x is undefined");
    const pe = (code: "TimeoutError" | "TooManyRequests" | "RuntimeUnavailable" | "InstanceCrashed") => gatewayAnswer({ kind: "platform-error", code, message: "m" }).status;
    assert.deepEqual([pe("TimeoutError"), pe("TooManyRequests"), pe("RuntimeUnavailable"), pe("InstanceCrashed")], [504, 429, 503, 500]);
    assert.equal(gatewayAnswer({ kind: "success", payload: Buffer.from("not json"), coldStart: false, start: "warm", durationMs: 1 }).status, 500);
  });
});
