/**
 * Queue triggers on RabbitMQ (amqplib): one connection and confirm channel per trigger, consuming
 * the queue with manual acks and a prefetch of batchSize × maxConcurrency. A failed message is held
 * (unacked) for its retry delay, then republished to the tail of the queue with its receive count
 * in the `x-hotswap-receive-count` header and the original acked once the broker confirmed the copy;
 * dead-lettering publishes to the dead-letter queue the same way. Receive counts survive crashes:
 * an unacked message the broker requeues arrives `redelivered` (or, on a quorum queue, with
 * `x-delivery-count`) and is counted once more. Missing queues are declared durable.
 */
import { createHash } from "node:crypto";
import { connect, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from "amqplib";
import type { QueueTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { DelayedWork } from "./delayed-work.ts";
import { MessageBuffer } from "./message-buffer.ts";
import type { QueueMessage, QueueReceiver } from "./queue-source.ts";

export const RECEIVE_COUNT_HEADER = "x-hotswap-receive-count";

export interface RabbitQueueOptions {
  url: string;
  triggerId: string;
  config: QueueTriggerConfig;
}

export async function openRabbitQueue(o: RabbitQueueOptions): Promise<QueueReceiver> {
  const conn = await connect(o.url, { clientProperties: { connection_name: `hotswap-queue-${o.triggerId}` } });
  conn.on("error", () => undefined); // "close" follows; the consumer logs the failure once
  try {
    await ensureQueue(conn, o.config.queue!);
    if (o.config.deadLetter?.queue) await ensureQueue(conn, o.config.deadLetter.queue);
    const ch = await conn.createConfirmChannel();
    ch.on("error", () => undefined);
    const receiver = new RabbitQueue(conn, ch, o);
    await receiver.init();
    return receiver;
  } catch (e) {
    await conn.close().catch(() => undefined);
    throw e;
  }
}

/** Use the queue as it is declared; declare it durable when it does not exist (a failed check closes its channel). */
async function ensureQueue(conn: ChannelModel, queue: string): Promise<void> {
  const probe = await conn.createChannel();
  probe.on("error", () => undefined);
  try {
    await probe.checkQueue(queue);
    await probe.close();
  } catch {
    const ch = await conn.createChannel();
    await ch.assertQueue(queue, { durable: true });
    await ch.close();
  }
}

class RabbitQueue implements QueueReceiver {
  private readonly buffer = new MessageBuffer<QueueMessage>();
  private readonly work = new DelayedWork();

  constructor(
    private readonly conn: ChannelModel,
    private readonly ch: ConfirmChannel,
    private readonly o: RabbitQueueOptions,
  ) {}

  async init(): Promise<void> {
    this.conn.on("close", () => this.buffer.fail(new Error("the RabbitMQ connection closed")));
    await this.ch.prefetch(this.o.config.batchSize * this.o.config.maxConcurrency);
    await this.ch.consume(this.o.config.queue!, (msg) => {
      if (msg) this.buffer.push(toMessage(msg));
      else this.buffer.fail(new Error(`RabbitMQ cancelled the consumer of queue "${this.o.config.queue}" (deleted?)`));
    });
  }

  receive(max: number, waitMs: number, signal: AbortSignal): Promise<QueueMessage[]> {
    return this.buffer.take(max, waitMs, signal);
  }

  async ack(m: QueueMessage): Promise<void> {
    this.ch.ack(m.handle as ConsumeMessage);
  }

  async retry(m: QueueMessage, delayMs: number): Promise<void> {
    this.work.after(delayMs, () => this.republish(this.o.config.queue!, m, {})); // if that fails it stays unacked: the broker redelivers it
  }

  async deadLetter(m: QueueMessage, why: string): Promise<void> {
    await this.republish(this.o.config.deadLetter!.queue!, m, { "x-hotswap-trigger": this.o.triggerId, "x-hotswap-error": why.slice(0, 1000) });
  }

  async close(): Promise<void> {
    this.work.cancel();
    await this.conn.close().catch(() => undefined); // unacked messages go back to the queue
  }

  /** A copy to `queue` carrying the receive count, confirmed by the broker, then the original acked. */
  private async republish(queue: string, m: QueueMessage, extra: Record<string, string>): Promise<void> {
    const msg = m.handle as ConsumeMessage;
    const { "x-delivery-count": _, ...headers } = msg.properties.headers ?? {};
    this.ch.sendToQueue(queue, msg.content, {
      ...definedProperties(msg),
      messageId: m.messageId,
      persistent: true,
      headers: { ...headers, ...extra, [RECEIVE_COUNT_HEADER]: m.receiveCount + (queue === this.o.config.queue ? 1 : 0) },
    });
    await this.ch.waitForConfirms();
    this.ch.ack(msg);
  }
}

function toMessage(msg: ConsumeMessage): QueueMessage {
  const h = msg.properties.headers ?? {};
  const base = Number(h[RECEIVE_COUNT_HEADER]) || 1;
  const quorum = Number(h["x-delivery-count"]);
  const receiveCount = base + (Number.isFinite(quorum) && quorum > 0 ? quorum : msg.fields.redelivered ? 1 : 0);
  const ts = Number(msg.properties.timestamp);
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (!k.startsWith("x-hotswap-") && k !== "x-delivery-count") attributes[k] = typeof v === "string" ? v : JSON.stringify(v);
  if (msg.properties.contentType) attributes["content-type"] = String(msg.properties.contentType);
  return {
    messageId: msg.properties.messageId ? String(msg.properties.messageId) : contentId(msg),
    body: msg.content.toString("utf8"),
    receiveCount,
    // AMQP timestamps are seconds.
    sentTimestamp: ts > 0 ? (ts < 1e11 ? ts * 1000 : ts) : Date.now(),
    messageAttributes: attributes,
    handle: msg,
  };
}

/**
 * The id of a message published without a messageId: a digest of its content, timestamp and
 * headers, so a redelivery keeps it (identical messages published in the same second share it;
 * publishers should set messageId).
 */
function contentId(msg: ConsumeMessage): string {
  const { [RECEIVE_COUNT_HEADER]: _, "x-delivery-count": __, ...headers } = msg.properties.headers ?? {};
  return createHash("sha256").update(msg.content).update(`|${msg.properties.timestamp ?? ""}|${msg.properties.correlationId ?? ""}|${JSON.stringify(headers)}`).digest("hex").slice(0, 32);
}

function definedProperties(msg: ConsumeMessage): Record<string, unknown> {
  const p = msg.properties as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.entries(p).filter(([k, v]) => v !== undefined && k !== "headers" && k !== "deliveryMode"));
}
