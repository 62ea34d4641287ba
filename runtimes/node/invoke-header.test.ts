/** The Node bootstrap's invoke-header reader (runtimes/node/lib/frame.mjs) agrees with JSON.parse on every form. */
import { test } from "node:test";
import assert from "node:assert/strict";
// @ts-expect-error: the bootstrap is dependency-free JavaScript without type declarations
import { invokeHeader } from "./lib/frame.mjs";

const read = (text: string): unknown => {
  // Inside a larger chunk, as the decoder sees it.
  const buf = Buffer.concat([Buffer.from("xx"), Buffer.from(text), Buffer.from("yy")]);
  return invokeHeader(buf, 2, buf.length - 2);
};

test("reads the compact invoke header the runner writes, exactly as JSON.parse would", () => {
  for (const text of [
    '{"type":"invoke","id":"0f6c1f0e-8a4b-4c1e-9d1a-2b3c4d5e6f70","deadline":1796580000123}',
    '{"type":"invoke","id":"req.1:a_b-c","deadline":0}',
    '{"type":"invoke","id":"","deadline":5}',
  ]) {
    assert.deepEqual(read(text), JSON.parse(text), text);
  }
});

test("leaves every other form to JSON.parse (returns null)", () => {
  for (const text of [
    '{"type":"invoke","id":"r1","deadline":1,"traceparent":"00-abc-def-01"}',
    '{"type":"invoke","id":"r1","deadline":1,"clientContext":"e30="}',
    '{"type":"invoke","id":"a\\"b","deadline":1}',
    '{"type":"invoke","id":"é","deadline":1}',
    '{"type": "invoke", "id": "r1", "deadline": 1}',
    '{"type":"invoke","id":"r1","deadline":1.5}',
    '{"type":"invoke","id":"r1","deadline":-1}',
    '{"type":"invoke","id":"r1","deadline":}',
    '{"type":"invoke","id":"r1","deadline":12345678901234567890}',
    '{"type":"invoke","deadline":1,"id":"r1"}',
    '{"type":"init","taskRoot":"/var/task"}',
    '{"type":"invoke","id":"r1"}',
    '{"type":"invoke","id":"r1',
  ]) {
    assert.equal(read(text), null, text);
  }
});

test("reads the traced compact form (a traceparent, no client context) exactly as JSON.parse would", () => {
  const text = '{"type":"invoke","id":"req-1","deadline":1796580000123,"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}';
  assert.deepEqual(read(text), JSON.parse(text));
  for (const odd of [
    '{"type":"invoke","id":"r1","deadline":1,"traceparent":"00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01"}',
    '{"type":"invoke","id":"r1","deadline":1,"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0"}',
    '{"type":"invoke","id":"r1","deadline":,"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}',
    '{"type":"invoke","id":"r1","deadline":1,"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","clientContext":"e30="}',
  ]) {
    assert.equal(read(odd), null, odd);
  }
});
