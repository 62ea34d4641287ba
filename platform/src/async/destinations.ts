/**
 * Where a finished asynchronous invocation goes: Lambda's destination record (version, timestamp,
 * requestContext with the condition and approximate invoke count, the request and response) sent
 * to the on-success or on-failure destination of the function's event-invoke config: a function
 * (invoked asynchronously, through the invocation pipeline like any other) or a queue, a
 * state-store stream that receives the record as the entry's `body` field.
 */
import { randomUUID } from "node:crypto";
import { parseDestination, type DestinationCondition, type DestinationRecord } from "../../../protocol/api/event-invoke-config.ts";
import { MAX_ASYNC_PAYLOAD_BYTES } from "../../../protocol/api/invocations.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import type { Invoker } from "../router/invoker.ts";
import { parseJson, truncate } from "./retry-policy.ts";

/** Region and account HotSwap reports in ARNs (the runners' invokedFunctionArn uses the same). */
export const ARN_REGION = "us-east-1";
export const ARN_ACCOUNT = "000000000000";

export function functionArn(name: string, qualifier?: string): string {
  return `arn:aws:lambda:${ARN_REGION}:${ARN_ACCOUNT}:function:${name}${qualifier ? `:${qualifier}` : ""}`;
}

export interface RecordInput {
  requestId: string;
  functionName: string;
  qualifier?: string;
  condition: DestinationCondition;
  approximateInvokeCount: number;
  requestPayload: string;
  /** Absent when the function never ran (the event expired before its first attempt). */
  response?: { statusCode: number; executedVersion: string; functionError?: string; payload: unknown };
}

export function destinationRecord(r: RecordInput, now = new Date()): DestinationRecord {
  const record: DestinationRecord = {
    version: "1.0",
    timestamp: now.toISOString(),
    requestContext: { requestId: r.requestId, functionArn: functionArn(r.functionName, r.qualifier ?? "$LATEST"), condition: r.condition, approximateInvokeCount: r.approximateInvokeCount },
    requestPayload: parseJson(r.requestPayload),
    responseContext: r.response ? { statusCode: r.response.statusCode, executedVersion: r.response.executedVersion, ...(r.response.functionError ? { functionError: r.response.functionError } : {}) } : undefined,
    responsePayload: r.response?.payload,
  };
  if (Buffer.byteLength(JSON.stringify(record)) > MAX_ASYNC_PAYLOAD_BYTES) {
    // A destination is invoked asynchronously too: keep the record within 256 KB, response first.
    record.responsePayload = truncate(JSON.stringify(record.responsePayload ?? null));
    if (Buffer.byteLength(JSON.stringify(record)) > MAX_ASYNC_PAYLOAD_BYTES) record.requestPayload = truncate(r.requestPayload);
  }
  return record;
}

export class Destinations {
  constructor(
    private readonly state: StateStore,
    private readonly invoker: Pick<Invoker, "enqueue">,
  ) {}

  /** Send `record` to `destination` (validated when the config was put). Rejects when it cannot be delivered. */
  async send(destination: string, record: DestinationRecord): Promise<void> {
    const target = parseDestination(destination);
    if (typeof target === "string") throw new Error(target);
    const body = JSON.stringify(record);
    if (target.kind === "queue") {
      await this.state.xadd(target.stream, { body });
      return;
    }
    await this.invoker.enqueue(target.name, target.qualifier, Buffer.from(body), { requestId: randomUUID(), source: "async" });
  }
}
