import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, isApiError } from "../../../protocol/errors.ts";
import { invocationOf, recordingNext, SUCCESS } from "../../../tests/support/invocation.ts";
import type { Invocation } from "./invocation.ts";
import { EnqueueStage, type EventQueue } from "./enqueue.ts";
import { EventStage } from "./event.ts";

function queue(): EventQueue & { queued: Invocation[] } {
  const queued: Invocation[] = [];
  return { queued, enqueue: async (inv) => void queued.push(inv) };
}

test("an asynchronous invocation is queued and goes no further", async () => {
  const next = recordingNext();
  const q = queue();
  const inv = invocationOf({ payload: Buffer.from("{}"), async: { source: "async" } });
  assert.equal(await new EnqueueStage(next, q).handle(inv), undefined);
  assert.equal(q.queued.length, 1);
  assert.equal(next.seen.length, 0);
});

test("a synchronous invocation passes through untouched", async () => {
  const next = recordingNext();
  const q = queue();
  assert.equal(await new EnqueueStage(next, q).handle(invocationOf({ payload: Buffer.from("{}") })), SUCCESS);
  assert.equal(q.queued.length, 0);
  assert.equal(next.seen.length, 1);
});

test("without a queue, an asynchronous invocation is refused with 503", async () => {
  await assert.rejects(async () => new EnqueueStage(recordingNext(), undefined).handle(invocationOf({ async: { source: "async" } })), (e: unknown) => isApiError(e) && e.code === "ServiceUnavailable");
});

test("the event stage holds an asynchronous event to 256 KB and a synchronous one to 6 MB", async () => {
  const big = Buffer.from(JSON.stringify({ s: "x".repeat(300 * 1024) }));
  const stage = new EventStage(recordingNext());
  await assert.rejects(async () => stage.handle(invocationOf({ payload: big, async: { source: "async" } })), (e: unknown) => e instanceof ApiError && e.code === "PayloadTooLarge" && e.message.includes("262144 byte (256 KB)"));
  assert.equal(await stage.handle(invocationOf({ payload: big })), SUCCESS);
});
