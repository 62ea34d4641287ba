/**
 * What a Stream trigger sends its function and its on-failure destination, in Kinesis's shapes:
 * the event `{Records: [{kinesis: {kinesisSchemaVersion, data (base64), partitionKey,
 * sequenceNumber, approximateArrivalTimestamp}, eventSource, eventVersion, eventID, eventName,
 * eventSourceARN, awsRegion}]}` (eventID is `<shardId>:<sequenceNumber>`), and Lambda's on-failure
 * record for stream sources (requestContext, responseContext, KinesisBatchInfo with the batch's
 * shard and sequence range). Pure.
 */
import { ARN_ACCOUNT, ARN_REGION, functionArn } from "../../async/destinations.ts";

/** One record read from a stream source. */
export interface StreamRecord {
  /** The position in the shard: a Redis entry id (`1733580000000-0`) or a JetStream stream sequence. */
  sequenceNumber: string;
  partitionKey: string;
  data: Buffer;
  /** When the broker stored it, in ms since the epoch. */
  arrivedAt: number;
}

/** Where records come from, as the event names it. */
export interface StreamOrigin {
  /** `hotswap:redis` or `hotswap:nats`. */
  eventSource: string;
  /** The stream's ARN-like name: `arn:hotswap:redis:us-east-1:000000000000:stream/<name>`. */
  eventSourceArn: string;
  /** The shard the records belong to: the stream (Redis) or the stream and subject filter (NATS). */
  shardId: string;
}

export function streamArn(broker: "redis" | "nats", stream: string): string {
  return `arn:hotswap:${broker}:${ARN_REGION}:${ARN_ACCOUNT}:stream/${stream}`;
}

export interface KinesisEventRecord {
  kinesis: { kinesisSchemaVersion: "1.0"; partitionKey: string; sequenceNumber: string; data: string; approximateArrivalTimestamp: number };
  eventSource: string;
  eventVersion: "1.0";
  eventID: string;
  eventName: "hotswap:record";
  invokeIdentityArn: string;
  awsRegion: string;
  eventSourceARN: string;
}

export function kinesisEvent(origin: StreamOrigin, records: readonly StreamRecord[]): { Records: KinesisEventRecord[] } {
  return {
    Records: records.map((r) => ({
      kinesis: {
        kinesisSchemaVersion: "1.0",
        partitionKey: r.partitionKey,
        sequenceNumber: r.sequenceNumber,
        data: r.data.toString("base64"),
        approximateArrivalTimestamp: r.arrivedAt / 1000,
      },
      eventSource: origin.eventSource,
      eventVersion: "1.0",
      eventID: `${origin.shardId}:${r.sequenceNumber}`,
      eventName: "hotswap:record",
      invokeIdentityArn: `arn:aws:iam::${ARN_ACCOUNT}:role/hotswap`,
      awsRegion: ARN_REGION,
      eventSourceARN: origin.eventSourceArn,
    })),
  };
}

/** How the last attempt at a batch ended, for the on-failure record. */
export interface BatchFailureContext {
  requestId: string;
  functionName: string;
  qualifier: string;
  /** Attempts at the batch (the ones that reached the function). */
  approximateInvokeCount: number;
  statusCode: number;
  executedVersion?: string;
  functionError?: string;
}

export interface StreamFailureRecord {
  requestContext: { requestId: string; functionArn: string; condition: "RetryAttemptsExhausted"; approximateInvokeCount: number };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: "1.0";
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

/** Lambda's on-failure record for a stream batch whose retries ran out (the records themselves are not in it). */
export function failureRecord(origin: StreamOrigin, batch: readonly StreamRecord[], c: BatchFailureContext, now = new Date()): StreamFailureRecord {
  const first = batch[0]!;
  const last = batch[batch.length - 1]!;
  return {
    requestContext: { requestId: c.requestId, functionArn: functionArn(c.functionName, c.qualifier), condition: "RetryAttemptsExhausted", approximateInvokeCount: c.approximateInvokeCount },
    responseContext: { statusCode: c.statusCode, executedVersion: c.executedVersion ?? "$LATEST", ...(c.functionError ? { functionError: c.functionError } : {}) },
    version: "1.0",
    timestamp: now.toISOString(),
    KinesisBatchInfo: {
      shardId: origin.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(first.arrivedAt).toISOString(),
      approximateArrivalOfLastRecord: new Date(last.arrivedAt).toISOString(),
      batchSize: batch.length,
      streamArn: origin.eventSourceArn,
    },
  };
}
