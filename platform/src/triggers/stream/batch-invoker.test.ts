/** Unit tests of reading batchItemFailures from a function's answer, and of the Kinesis-like event and on-failure record. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { firstFailedItem } from "./batch-invoker.ts";
import { failureRecord, kinesisEvent, streamArn, type StreamOrigin, type StreamRecord } from "./kinesis-event.ts";

const batch: StreamRecord[] = ["5-0", "6-0", "7-1"].map((seq, i) => ({ sequenceNumber: seq, partitionKey: `k${i}`, data: Buffer.from(`d${i}`), arrivedAt: 1_700_000_000_000 + i }));
const origin: StreamOrigin = { eventSource: "hotswap:redis", eventSourceArn: streamArn("redis", "orders"), shardId: "orders" };

describe("firstFailedItem", () => {
  it("is undefined for answers that report no failures", () => {
    for (const answer of ["null", '"ok"', "{}", '{"batchItemFailures":[]}', '{"batchItemFailures":null}', "not json"]) assert.equal(firstFailedItem(answer, batch), undefined, answer);
  });
  it("names the first failed record in batch order, whatever the list's order", () => {
    assert.equal(firstFailedItem('{"batchItemFailures":[{"itemIdentifier":"7-1"},{"itemIdentifier":"6-0"}]}', batch), "6-0");
  });
  it("is null (the whole batch failed) for an identifier that is not in the batch, or none", () => {
    assert.equal(firstFailedItem('{"batchItemFailures":[{"itemIdentifier":"9-9"}]}', batch), null);
    assert.equal(firstFailedItem('{"batchItemFailures":[{"itemIdentifier":""}]}', batch), null);
    assert.equal(firstFailedItem('{"batchItemFailures":[{}]}', batch), null);
  });
});

describe("Kinesis-like shapes", () => {
  it("builds the event with base64 data, the eventID and seconds for the arrival time", () => {
    const e = kinesisEvent(origin, batch.slice(0, 1));
    assert.deepEqual(e.Records[0], {
      kinesis: { kinesisSchemaVersion: "1.0", partitionKey: "k0", sequenceNumber: "5-0", data: Buffer.from("d0").toString("base64"), approximateArrivalTimestamp: 1_700_000_000 },
      eventSource: "hotswap:redis",
      eventVersion: "1.0",
      eventID: "orders:5-0",
      eventName: "hotswap:record",
      invokeIdentityArn: "arn:aws:iam::000000000000:role/hotswap",
      awsRegion: "us-east-1",
      eventSourceARN: "arn:hotswap:redis:us-east-1:000000000000:stream/orders",
    });
  });
  it("builds Lambda's on-failure record with the batch's range", () => {
    const r = failureRecord(origin, batch, { requestId: "r1", functionName: "fn", qualifier: "live", condition: "RetryAttemptsExhausted", approximateInvokeCount: 4, response: { statusCode: 200, executedVersion: "3", functionError: "Unhandled" } }, new Date("2026-01-01T00:00:00Z"));
    assert.deepEqual(r, {
      requestContext: { requestId: "r1", functionArn: "arn:aws:lambda:us-east-1:000000000000:function:fn:live", condition: "RetryAttemptsExhausted", approximateInvokeCount: 4 },
      responseContext: { statusCode: 200, executedVersion: "3", functionError: "Unhandled" },
      version: "1.0",
      timestamp: "2026-01-01T00:00:00.000Z",
      KinesisBatchInfo: {
        shardId: "orders",
        startSequenceNumber: "5-0",
        endSequenceNumber: "7-1",
        approximateArrivalOfFirstRecord: new Date(1_700_000_000_000).toISOString(),
        approximateArrivalOfLastRecord: new Date(1_700_000_000_002).toISOString(),
        batchSize: 3,
        streamArn: "arn:hotswap:redis:us-east-1:000000000000:stream/orders",
      },
    });
  });
  it("leaves responseContext out of a RecordAgeExceeded record whose records never reached the function", () => {
    const r = failureRecord(origin, batch, { requestId: "r2", functionName: "fn", qualifier: "live", condition: "RecordAgeExceeded", approximateInvokeCount: 0 });
    assert.equal(r.requestContext.condition, "RecordAgeExceeded");
    assert.equal(r.requestContext.approximateInvokeCount, 0);
    assert.equal("responseContext" in r, false);
  });
});
