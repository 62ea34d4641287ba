/**
 * What a Stream trigger sends its function and its on-failure destination, in Kinesis's shapes:
 * the event `{Records: [{kinesis: {kinesisSchemaVersion, data (base64), partitionKey,
 * sequenceNumber, approximateArrivalTimestamp}, eventSource, eventVersion, eventID, eventName,
 * eventSourceARN, awsRegion}]}` (eventID is `<shardId>:<sequenceNumber>`), and Lambda's on-failure
 * record for stream sources (requestContext with the condition, RetryAttemptsExhausted or
 * RecordAgeExceeded; responseContext of the last attempt, absent when none of the records reached the
 * function; KinesisBatchInfo with the batch's shard and sequence range). Pure.
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

/** Why a batch was discarded and how its last attempt ended, for the on-failure record. */
export interface BatchFailureContext {
  /** The last attempt's request id, or a fresh one when no attempt reached the function. */
  requestId: string;
  functionName: string;
  qualifier: string;
  condition: StreamFailureCondition;
  /** Attempts at the batch (the ones that reached the function). */
  approximateInvokeCount: number;
  /** How the last attempt that reached the function ended; absent when none did. */
  response?: { statusCode: number; executedVersion?: string; functionError?: string };
}

export type StreamFailureCondition = "RetryAttemptsExhausted" | "RecordAgeExceeded";

export interface StreamFailureRecord {
  requestContext: { requestId: string; functionArn: string; condition: StreamFailureCondition; approximateInvokeCount: number };
  /** Absent when the records never reached the function (too old before their first attempt). */
  responseContext?: { statusCode: number; executedVersion: string; functionError?: string };
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

/** Lambda's on-failure record for discarded stream records (the records themselves are not in it). */
export function failureRecord(origin: StreamOrigin, batch: readonly StreamRecord[], c: BatchFailureContext, now = new Date()): StreamFailureRecord {
  const first = batch[0]!;
  const last = batch[batch.length - 1]!;
  return {
    requestContext: { requestId: c.requestId, functionArn: functionArn(c.functionName, c.qualifier), condition: c.condition, approximateInvokeCount: c.approximateInvokeCount },
    ...(c.response
      ? { responseContext: { statusCode: c.response.statusCode, executedVersion: c.response.executedVersion ?? "$LATEST", ...(c.response.functionError ? { functionError: c.response.functionError } : {}) } }
      : {}),
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
