import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildGatewayEvent, gatewayTime, isTextContentType, type GatewayRequest } from "./gateway-event.ts";

const base: GatewayRequest = {
  method: "GET",
  rawPath: "/a",
  rawQuery: "",
  rawHeaders: ["Host", "api.example.com:8080"],
  body: undefined,
  sourceIp: "10.0.0.1",
  protocol: "HTTP/1.1",
  requestId: "rid",
  now: new Date(Date.UTC(2026, 0, 5, 3, 4, 5, 678)),
  routeKey: "GET /a",
  pathParameters: {},
};

describe("buildGatewayEvent", () => {
  it("formats the request time as API Gateway does", () => {
    assert.equal(gatewayTime(base.now), "05/Jan/2026:03:04:05 +0000");
    const e = buildGatewayEvent(base);
    assert.equal(e.requestContext.time, "05/Jan/2026:03:04:05 +0000");
    assert.equal(e.requestContext.timeEpoch, base.now.getTime());
    assert.equal(e.requestContext.domainName, "api.example.com:8080");
    assert.equal(e.requestContext.domainPrefix, "api");
  });

  it("joins repeated headers and query values with commas, lower-cases names, moves cookies out", () => {
    const e = buildGatewayEvent({ ...base, rawQuery: "a=1&a=2&b=%20x", rawHeaders: ["X-A", "1", "x-a", "2", "Cookie", "c=1; d=2", "Cookie", "e=3", "Host", "h"] });
    assert.deepEqual(e.headers, { "x-a": "1,2", host: "h" });
    assert.deepEqual(e.cookies, ["c=1", "d=2", "e=3"]);
    assert.deepEqual(e.queryStringParameters, { a: "1,2", b: " x" });
  });

  it("keeps text bodies as text and base64-encodes the rest (and text that is not UTF-8)", () => {
    const text = buildGatewayEvent({ ...base, rawHeaders: ["Content-Type", "application/vnd.api+json; charset=utf-8"], body: Buffer.from('{"é":1}') });
    assert.deepEqual([text.body, text.isBase64Encoded], ['{"é":1}', false]);
    const bin = buildGatewayEvent({ ...base, rawHeaders: ["Content-Type", "image/png"], body: Buffer.from([1, 2, 3]) });
    assert.deepEqual([bin.body, bin.isBase64Encoded], ["AQID", true]);
    const notUtf8 = buildGatewayEvent({ ...base, rawHeaders: ["Content-Type", "text/plain"], body: Buffer.from([0xff, 0xfe]) });
    assert.deepEqual([notUtf8.body, notUtf8.isBase64Encoded], ["//4=", true]);
    const untyped = buildGatewayEvent({ ...base, body: Buffer.from("hi") });
    assert.equal(untyped.isBase64Encoded, true, "no content type: sent as bytes");
    assert.equal("body" in buildGatewayEvent({ ...base, body: Buffer.alloc(0) }), false);
    for (const t of ["text/html", "application/json", "application/xml", "application/atom+xml", "application/x-www-form-urlencoded", "application/javascript"]) assert.ok(isTextContentType(t), t);
    for (const t of ["application/octet-stream", "multipart/form-data; boundary=x", "application/pdf"]) assert.ok(!isTextContentType(t), t);
  });
});
