import assert from "node:assert/strict";
import { test } from "node:test";
import type { InvokeRequest } from "../../../protocol/invoke.ts";
import { invocationOf, specOf, SUCCESS } from "../../../tests/support/invocation.ts";
import { RunnerCall } from "./runner-call.ts";

test("hands the runner the resolved version, request id, event, traceparent, client context, qualifier invoked through, log-tail flag and response stream sink", async () => {
  const got: InvokeRequest[] = [];
  const call = new RunnerCall({ invoke: async (req) => (got.push(req), SUCCESS) });
  const spec = specOf();
  const payload = Buffer.from("{}");
  const stream = { begin() {}, write() {} };
  const outcome = await call.handle(invocationOf({ spec, payload, traceparent: "00-a-b-01", clientContext: "e30=", logTail: true, invokedQualifier: "live", stream }));
  assert.equal(outcome, SUCCESS);
  assert.deepEqual(got, [{ spec, requestId: "req-00000001", payload, traceparent: "00-a-b-01", clientContext: "e30=", qualifier: "live", logTail: true, stream }]);
  assert.equal(got[0]!.stream, stream, "the entry's own sink, so the handler's bytes reach its answer");
});
