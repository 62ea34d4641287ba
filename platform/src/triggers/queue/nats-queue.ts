/**
 * Queue triggers on NATS JetStream: a durable pull consumer per trigger (`group`, else
 * `hotswap-<trigger id>`) on the stream, filtered by `subject` when given, with explicit acks and
 * no server-side delivery limit (maxReceiveCount is applied here, from `info.redeliveryCount`).
 * Success acks (ackAck, confirmed by the server); a retry naks with the delay; dead-lettering
 * publishes to the dead-letter stream's subject (`deadLetter.subject`, else the stream's name) and
 * then acks. Held messages are marked in progress (`working()`) every third of the stale threshold,
 * which is the consumer's ack wait: messages of a dead replica come back after it, counted (a
 * message naked by a closing connection would come back uncounted, so close() naks only messages
 * it never handed out). Missing streams
 * are created, capturing `subject` (else the stream's name).
 */
import { AckPolicy, DeliverPolicy, connect, headers, nanos, type JetStreamManager, type JsMsg, type NatsConnection } from "nats";
import type { QueueTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { DelayedWork } from "./delayed-work.ts";
import { MessageBuffer } from "./message-buffer.ts";
import type { QueueMessage, QueueReceiver } from "./queue-source.ts";

export interface NatsQueueOptions {
  url: string;
  triggerId: string;
  config: QueueTriggerConfig;
  staleAfterMs: number;
}

export async function openNatsQueue(o: NatsQueueOptions): Promise<QueueReceiver> {
  const nc = await connect({ servers: o.url, reconnect: false, name: `hotswap-queue-${o.triggerId}`, timeout: 5000 });
  try {
    const jsm = await nc.jetstreamManager();
    const c = o.config;
    await ensureStream(jsm, c.stream!, c.subject ?? c.stream!);
    if (c.deadLetter?.stream) await ensureStream(jsm, c.deadLetter.stream, deadLetterSubject(c));
    const durable = c.group ?? `hotswap-${o.triggerId}`;
    try {
      await jsm.consumers.info(c.stream!, durable);
    } catch {
      await jsm.consumers.add(c.stream!, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(o.staleAfterMs),
        max_deliver: -1,
        max_ack_pending: Math.max(1000, c.batchSize * c.maxConcurrency * 4),
        ...(c.subject ? { filter_subject: c.subject } : {}),
      });
    }
    const receiver = new NatsQueue(nc, o);
    await receiver.init(durable);
    return receiver;
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw e;
  }
}

function deadLetterSubject(c: QueueTriggerConfig): string {
  return c.deadLetter!.subject ?? c.deadLetter!.stream!;
}

async function ensureStream(jsm: JetStreamManager, name: string, subject: string): Promise<void> {
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams.add({ name, subjects: [subject] });
  }
}

class NatsQueue implements QueueReceiver {
  private readonly buffer = new MessageBuffer<QueueMessage>();
  private readonly held = new Map<string, JsMsg>();
  private readonly work = new DelayedWork();
  private stopConsuming: (() => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly o: NatsQueueOptions,
  ) {}

  async init(durable: string): Promise<void> {
    void this.nc.closed().then((err) => this.buffer.fail(err ?? new Error("the NATS connection closed")));
    const consumer = await this.nc.jetstream().consumers.get(this.o.config.stream!, durable);
    const messages = await consumer.consume({
      max_messages: this.o.config.batchSize * this.o.config.maxConcurrency,
      callback: (m) => {
        const msg = toMessage(m);
        this.held.set(msg.messageId, m);
        this.buffer.push(msg);
      },
    });
    this.stopConsuming = () => messages.stop();
    void messages.closed().then((err) => err && this.buffer.fail(err instanceof Error ? err : new Error(String(err))));
    this.work.every(Math.max(50, Math.floor(this.o.staleAfterMs / 3)), async () => {
      for (const m of this.held.values()) m.working();
    });
  }

  receive(max: number, waitMs: number, signal: AbortSignal): Promise<QueueMessage[]> {
    return this.buffer.take(max, waitMs, signal);
  }

  async ack(m: QueueMessage): Promise<void> {
    if (!(await (m.handle as JsMsg).ackAck())) throw new Error("JetStream did not confirm the ack");
    this.held.delete(m.messageId);
  }

  async retry(m: QueueMessage, delayMs: number): Promise<void> {
    (m.handle as JsMsg).nak(delayMs);
    this.held.delete(m.messageId);
  }

  async deadLetter(m: QueueMessage, why: string): Promise<void> {
    const msg = m.handle as JsMsg;
    const h = headers();
    if (msg.headers) for (const [k, vs] of msg.headers) for (const v of vs) h.append(k, v);
    h.set("Hotswap-Message-Id", m.messageId);
    h.set("Hotswap-Receive-Count", String(m.receiveCount));
    h.set("Hotswap-Trigger", this.o.triggerId);
    h.set("Hotswap-Error", why.slice(0, 1000).replace(/[\r\n]+/g, " "));
    await this.nc.jetstream().publish(deadLetterSubject(this.o.config), msg.data, { headers: h });
    await this.ack(m);
  }

  async close(): Promise<void> {
    this.work.cancel();
    this.stopConsuming?.();
    // Never handed out: back to the stream at once for the other consumers (not counted as a
    // receive). Handed out and unsettled (a batch cut by the grace period): redelivered after the
    // ack wait, counted, as after a crash.
    for (const m of this.buffer.drain()) (m.handle as JsMsg).nak();
    this.held.clear();
    await this.nc.drain().catch(() => this.nc.close());
  }
}

function toMessage(m: JsMsg): QueueMessage {
  const attributes: Record<string, string> = {};
  if (m.headers) for (const [k, vs] of m.headers) attributes[k] = vs.join(",");
  return {
    messageId: String(m.seq),
    body: m.string(),
    receiveCount: m.info.redeliveryCount,
    sentTimestamp: Math.floor(m.info.timestampNanos / 1e6),
    messageAttributes: attributes,
    handle: m,
  };
}
