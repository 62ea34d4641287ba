import assert from "node:assert/strict";
import { test } from "node:test";
import { invocationOf, recordingNext } from "../../../tests/support/invocation.ts";
import { RequestIdStage } from "./request-id.ts";

test("keeps the request id an entry brought", async () => {
  const next = recordingNext();
  await new RequestIdStage(next).handle(invocationOf({ requestId: "given-id-123" }));
  assert.equal(next.seen[0]!.requestId, "given-id-123");
});

test("gives an invocation without one a fresh UUID before anything else runs", async () => {
  const next = recordingNext();
  await new RequestIdStage(next).handle(invocationOf({ requestId: "" }));
  assert.match(next.seen[0]!.requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});
