import assert from "node:assert/strict";
import { test } from "node:test";
import { EventStreamCodec } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/core/serde";
import { completionOf, invokeCompleteEvent, payloadChunkEvent } from "./event-stream-answer.ts";

const codec = new EventStreamCodec(toUtf8, fromUtf8);

test("encodes a PayloadChunk event the SDK's codec decodes to the same bytes", () => {
  const m = codec.decode(payloadChunkEvent(Buffer.from([0, 1, 2, 255])));
  assert.equal(m.headers[":event-type"]?.value, "PayloadChunk");
  assert.equal(m.headers[":message-type"]?.value, "event");
  assert.deepEqual(Buffer.from(m.body), Buffer.from([0, 1, 2, 255]));
});

test("encodes InvokeComplete as JSON with the fields given", () => {
  const m = codec.decode(invokeCompleteEvent({ ErrorCode: "Error", ErrorDetails: "boom", LogResult: "bG9n" }));
  assert.equal(m.headers[":event-type"]?.value, "InvokeComplete");
  assert.equal(m.headers[":content-type"]?.value, "application/json");
  assert.deepEqual(JSON.parse(Buffer.from(m.body).toString()), { ErrorCode: "Error", ErrorDetails: "boom", LogResult: "bG9n" });
});

test("InvokeComplete says nothing for a success, the error type and message for a handler error, Lambda's code for a timeout", () => {
  const base = { coldStart: false, start: "warm" as const, durationMs: 1 };
  assert.deepEqual(completionOf({ kind: "success", payload: Buffer.alloc(0), ...base }), {});
  const doc = Buffer.from(JSON.stringify({ errorType: "TypeError", errorMessage: "x is not a function", trace: [] }));
  assert.deepEqual(completionOf({ kind: "function-error", payload: doc, ...base }), { ErrorCode: "TypeError", ErrorDetails: "x is not a function" });
  assert.deepEqual(completionOf({ kind: "platform-error", code: "TimeoutError", message: "Task timed out after 1.00 seconds" }), {
    ErrorCode: "Sandbox.Timedout",
    ErrorDetails: "Task timed out after 1.00 seconds",
  });
});
