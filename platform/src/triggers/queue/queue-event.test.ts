import { test } from "node:test";
import assert from "node:assert/strict";
import { QueueTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { failedMessageIds, queueEvent } from "./queue-event.ts";
import { retryDelay, type QueueMessage } from "./queue-source.ts";

const config = QueueTriggerConfig.parse({ source: "rabbitmq", queue: "orders" });
const msg = (id: string, over: Partial<QueueMessage> = {}): QueueMessage => ({ messageId: id, body: `body-${id}`, receiveCount: 1, sentTimestamp: 1700000000000, messageAttributes: {}, handle: undefined, ...over });

test("a batch becomes SQS-shaped Records with receive count, timestamps, attributes, source and ARN", () => {
  const e = queueEvent("t1", config, [msg("a", { receiveCount: 2, messageAttributes: { tenant: "x" } }), msg("b")], 1700000001000);
  assert.equal(e.Records.length, 2);
  const [a, b] = e.Records;
  assert.equal(a!.messageId, "a");
  assert.equal(a!.body, "body-a");
  assert.deepEqual(a!.attributes, { ApproximateReceiveCount: "2", SentTimestamp: "1700000000000", ApproximateFirstReceiveTimestamp: "1700000001000", SenderId: "hotswap:rabbitmq" });
  assert.deepEqual(a!.messageAttributes, { tenant: { stringValue: "x", stringListValues: [], binaryListValues: [], dataType: "String" } });
  assert.equal(a!.eventSource, "hotswap:rabbitmq");
  assert.equal(a!.eventSourceARN, "arn:hotswap:rabbitmq:::orders");
  assert.match(a!.md5OfBody, /^[0-9a-f]{32}$/);
  assert.notEqual(a!.receiptHandle, b!.receiptHandle);
  assert.equal(Buffer.from(a!.receiptHandle, "base64url").toString(), "t1|a|2");
});

test("the ARN names the Redis or JetStream stream for those sources", () => {
  assert.equal(queueEvent("t", QueueTriggerConfig.parse({ source: "redis", stream: "s1" }), [msg("a")]).Records[0]!.eventSourceARN, "arn:hotswap:redis:::s1");
  assert.equal(queueEvent("t", QueueTriggerConfig.parse({ source: "nats", stream: "S2" }), [msg("a")]).Records[0]!.eventSource, "hotswap:nats");
});

test("batchItemFailures names the failed messages; no list, an empty list or a non-JSON answer fails none", () => {
  assert.deepEqual([...failedMessageIds(JSON.stringify({ batchItemFailures: [{ itemIdentifier: "b" }] }), ["a", "b", "c"]).failed], ["b"]);
  assert.equal(failedMessageIds(JSON.stringify({ batchItemFailures: [] }), ["a"]).failed.size, 0);
  assert.equal(failedMessageIds(JSON.stringify({ ok: true }), ["a"]).failed.size, 0);
  assert.equal(failedMessageIds("null", ["a"]).failed.size, 0);
  assert.equal(failedMessageIds("plain text", ["a"]).failed.size, 0);
});

test("an identifier that is empty or not in the batch fails the whole batch, as Lambda does", () => {
  const unknown = failedMessageIds(JSON.stringify({ batchItemFailures: [{ itemIdentifier: "zzz" }] }), ["a", "b"]);
  assert.deepEqual([...unknown.failed].sort(), ["a", "b"]);
  assert.match(unknown.invalid!, /"zzz", which is not a messageId of the batch/);
  assert.equal(failedMessageIds(JSON.stringify({ batchItemFailures: [{ itemIdentifier: "" }] }), ["a", "b"]).failed.size, 2);
  assert.equal(failedMessageIds(JSON.stringify({ batchItemFailures: "a" }), ["a", "b"]).failed.size, 2);
});

test("the retry delay doubles per receive from the base and stops at 15 minutes", () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelay(100, n)), [100, 200, 400, 800]);
  assert.equal(retryDelay(1000, 50), 15 * 60_000);
});
