import assert from "node:assert/strict";
import { test } from "node:test";
import { invokeFrameHeader, readInvokeFrame, readReplyFrame, replyFrameHeader } from "./fleet-channel.ts";
import { outcomeBody } from "./fleet.ts";
import type { InvokeOutcome } from "./invoke.ts";

test("an invoke frame header round-trips every field, escaping what JSON needs escaped", () => {
  const fields = { requestId: 'r"1\\', traceparent: "00-abc-def-01", clientContext: "eyJ9\n", qualifier: "live", logTail: true };
  const text = invokeFrameHeader(7, 3, fields);
  assert.deepEqual(readInvokeFrame(JSON.parse(text)), { id: 7, sid: 3, fields });
  assert.deepEqual(readInvokeFrame(JSON.parse(invokeFrameHeader(8, 1, { requestId: "r" }))), { id: 8, sid: 1, fields: { requestId: "r" } });
});

test("an invoke frame without a numeric id, sid or a request id is refused with what is missing", () => {
  assert.match(String(readInvokeFrame({ type: "invoke", id: "1", sid: 1, rid: "r" })), /numeric id and sid/);
  assert.match(String(readInvokeFrame({ type: "invoke", id: 1, sid: 1 })), /string rid/);
});

test("a reply frame round-trips each kind of outcome with its placement data", () => {
  const doc = Buffer.from('{"errorMessage":"bad \\"import\\"","errorType":"Runtime.ImportModuleError"}');
  const outcomes: InvokeOutcome[] = [
    { kind: "success", payload: Buffer.from("{}"), coldStart: true, start: "stem", durationMs: 12.345 },
    { kind: "function-error", payload: Buffer.from('{"errorMessage":"x"}'), coldStart: false, start: "warm", durationMs: 1, logTail: 'tail "quoted"\n✓' },
    { kind: "platform-error", code: "InitError", message: 'bad "import"', errorDocument: doc, coldStart: true, start: "fresh", durationMs: 40 },
    { kind: "platform-error", code: "ServiceUnavailable", message: "draining", refused: true },
  ];
  outcomes.forEach((o, i) => {
    const r = readReplyFrame(JSON.parse(replyFrameHeader(i, o, 4, 9)), outcomeBody(o));
    assert.deepEqual(r, { id: i, outcome: o, free: 4, inflight: 9 });
  });
});
