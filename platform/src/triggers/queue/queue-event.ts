/**
 * The SQS-shaped event a Queue trigger hands its function, and the reading of the function's answer
 * (Lambda's partial batch response). Pure: the consumer turns the verdict into acks and retries.
 */
import { createHash } from "node:crypto";
import type { QueueTriggerConfig } from "../../../../protocol/api/triggers.ts";
import type { QueueMessage } from "./queue-source.ts";

export interface SqsMessageAttribute {
  stringValue: string;
  stringListValues: string[];
  binaryListValues: string[];
  dataType: "String";
}

export interface QueueRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: { ApproximateReceiveCount: string; SentTimestamp: string; ApproximateFirstReceiveTimestamp: string; SenderId: string };
  messageAttributes: Record<string, SqsMessageAttribute>;
  md5OfBody: string;
  eventSource: string;
  eventSourceARN: string;
  awsRegion: string;
}

/** The queue a trigger consumes, as its records name it: `arn:hotswap:<source>:::<queue>`. */
export function eventSourceArn(config: QueueTriggerConfig): string {
  const name = config.source === "rabbitmq" ? config.queue : config.stream;
  return `arn:hotswap:${config.source}:::${name ?? ""}`;
}

/** `{Records: [...]}` for one batch, in delivery order. */
export function queueEvent(triggerId: string, config: QueueTriggerConfig, messages: readonly QueueMessage[], now = Date.now()): { Records: QueueRecord[] } {
  const arn = eventSourceArn(config);
  return {
    Records: messages.map((m) => ({
      messageId: m.messageId,
      receiptHandle: Buffer.from(`${triggerId}|${m.messageId}|${m.receiveCount}`).toString("base64url"),
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentTimestamp),
        ApproximateFirstReceiveTimestamp: String(now),
        SenderId: `hotswap:${config.source}`,
      },
      messageAttributes: Object.fromEntries(
        Object.entries(m.messageAttributes).map(([k, v]) => [k, { stringValue: v, stringListValues: [], binaryListValues: [], dataType: "String" as const }]),
      ),
      md5OfBody: createHash("md5").update(m.body).digest("hex"),
      eventSource: `hotswap:${config.source}`,
      eventSourceARN: arn,
      awsRegion: "local",
    })),
  };
}

/**
 * Which messages failed, from the function's answer (Lambda's ReportBatchItemFailures): the ids
 * in `batchItemFailures[].itemIdentifier`, or every message when the answer names an identifier
 * that is empty or not in the batch (Lambda then treats the whole batch as failed). An answer
 * without batchItemFailures (or an empty list) means the whole batch succeeded.
 */
export function failedMessageIds(answer: string, batchIds: readonly string[]): { failed: Set<string>; invalid?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(answer);
  } catch {
    return { failed: new Set() };
  }
  const list = doc && typeof doc === "object" ? (doc as { batchItemFailures?: unknown }).batchItemFailures : undefined;
  if (list === undefined || list === null) return { failed: new Set() };
  const all = () => new Set(batchIds);
  if (!Array.isArray(list)) return { failed: all(), invalid: "batchItemFailures is not a list" };
  const ids = new Set(batchIds);
  const failed = new Set<string>();
  for (const item of list) {
    const id = item && typeof item === "object" ? (item as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== "string" || id === "" || !ids.has(id)) return { failed: all(), invalid: `batchItemFailures names ${JSON.stringify(id ?? null)}, which is not a messageId of the batch` };
    failed.add(id);
  }
  return { failed };
}
