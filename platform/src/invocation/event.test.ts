import assert from "node:assert/strict";
import { test } from "node:test";
import { isApiError } from "../../../protocol/errors.ts";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../protocol/limits.ts";
import { invocationOf, recordingNext } from "../../../tests/support/invocation.ts";
import { EventStage } from "./event.ts";

test("passes a JSON event on unchanged", async () => {
  const next = recordingNext();
  const payload = Buffer.from('{"a":1}');
  await new EventStage(next).handle(invocationOf({ payload }));
  assert.equal(next.seen[0]!.payload, payload);
});

test("turns an empty event into {}", async () => {
  const next = recordingNext();
  await new EventStage(next).handle(invocationOf({ payload: Buffer.alloc(0) }));
  assert.equal(next.seen[0]!.payload!.toString(), "{}");
});

test("reads the event from the entry's source when it was not given", async () => {
  const next = recordingNext();
  await new EventStage(next).handle(invocationOf({ source: { readPayload: async () => Buffer.from("[1]") } }));
  assert.equal(next.seen[0]!.payload!.toString(), "[1]");
});

test("refuses an event that is not JSON with 400 InvalidRequestContent", async () => {
  await assert.rejects(
    async () => new EventStage(recordingNext()).handle(invocationOf({ payload: Buffer.from("{nope") })),
    (e: unknown) => isApiError(e) && e.code === "InvalidRequestContent" && /^The event must be valid JSON: /.test(e.message),
  );
});

test("refuses an event over 6 MB with 413 PayloadTooLarge quoting its size", async () => {
  const payload = Buffer.alloc(MAX_SYNC_PAYLOAD_BYTES + 1, 0x20);
  await assert.rejects(
    async () => new EventStage(recordingNext()).handle(invocationOf({ payload })),
    (e: unknown) => isApiError(e) && e.code === "PayloadTooLarge" && e.message.includes(`is ${MAX_SYNC_PAYLOAD_BYTES + 1} bytes`),
  );
});

test("a dry run neither reads nor checks the event", async () => {
  const next = recordingNext();
  let read = false;
  await new EventStage(next).handle(invocationOf({ dryRun: true, source: { readPayload: async () => ((read = true), Buffer.from("{nope")) } }));
  assert.equal(read, false);
  assert.equal(next.seen.length, 1);
});
