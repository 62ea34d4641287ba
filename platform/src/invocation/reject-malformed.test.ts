import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "../../../protocol/errors.ts";
import { invocationOf, recordingNext } from "../../../tests/support/invocation.ts";
import { RejectMalformedStage } from "./reject-malformed.ts";

test("raises what the entry found wrong with the request and stops the chain", async () => {
  const next = recordingNext();
  const rejection = new ApiError("ValidationError", 'path field "name": bad');
  await assert.rejects(async () => new RejectMalformedStage(next).handle(invocationOf({ rejection })), (e) => e === rejection);
  assert.equal(next.seen.length, 0);
});

test("passes a well-formed invocation on", async () => {
  const next = recordingNext();
  await new RejectMalformedStage(next).handle(invocationOf());
  assert.equal(next.seen.length, 1);
});
