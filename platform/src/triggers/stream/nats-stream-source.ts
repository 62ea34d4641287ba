/**
 * A Stream trigger's NATS JetStream source: an ordered consumer (ephemeral, no acks, always in
 * stream order; recreated by the client after a gap) on `config.stream`, filtered by
 * `config.subject` when given. The sequence number is the stream sequence, the data the message
 * payload, the partition key the `Hotswap-Partition-Key` header or else the message's subject, the
 * arrival time the server's timestamp.
 *
 * The checkpoint lives in the broker: the JetStream key-value bucket `hotswap-stream-checkpoints`,
 * key `<triggerId>.<stream>`, holding the last processed stream sequence (written by a
 * compare-and-set on the key's revision, never backwards). A start reads it and creates the ordered
 * consumer at the next sequence. On-failure records are published (JetStream, so a stream must
 * capture the subject) to `onFailure.subject` as JSON.
 */
import { connect, DeliverPolicy, StringCodec, type Consumer, type JetStreamClient, type KV, type NatsConnection, type OrderedConsumerOptions } from "nats";
import type { StreamTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { streamArn, type StreamFailureRecord, type StreamRecord } from "./kinesis-event.ts";
import type { StreamSource } from "./stream-source.ts";

export const CHECKPOINT_BUCKET = "hotswap-stream-checkpoints";
export const PARTITION_KEY_HEADER = "Hotswap-Partition-Key";
const sc = StringCodec();

export function natsCheckpointKey(cluster: string, triggerId: string, stream: string): string {
  return `${cluster}.${triggerId}.${stream}`;
}

/** Every Stream trigger checkpoint of `cluster` stored in the bucket on the NATS at `url`: its trigger id and stream. */
export async function listNatsCheckpoints(url: string, cluster: string): Promise<Array<{ triggerId: string; stream: string }>> {
  const nc = await connect({ servers: url, name: "hotswap-stream-checkpoints", timeout: 2000 });
  const out: Array<{ triggerId: string; stream: string }> = [];
  try {
    const kv = await nc.jetstream().views.kv(CHECKPOINT_BUCKET, { history: 1 });
    for await (const key of await kv.keys(`${cluster}.*.*`)) {
      // <cluster>.<trigger id, no dot>.<stream, no dot>; purged keys are not listed.
      const [, triggerId, stream] = key.split(".");
      if (triggerId && stream) out.push({ triggerId, stream });
    }
  } finally {
    await nc.close().catch(() => undefined);
  }
  return out;
}

export class NatsStreamSource implements StreamSource {
  readonly eventSource = "hotswap:nats";
  readonly eventSourceArn: string;
  readonly shardId: string;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private kv: KV | undefined;
  private consumer: Consumer | undefined;
  private readonly key: string;

  constructor(
    private readonly url: string,
    cluster: string,
    private readonly triggerId: string,
    private readonly config: StreamTriggerConfig,
  ) {
    this.eventSourceArn = streamArn("nats", config.subject ? `${config.stream}/${config.subject}` : config.stream);
    this.shardId = config.stream;
    this.key = natsCheckpointKey(cluster, triggerId, config.stream);
  }

  async open(): Promise<void> {
    this.nc = await connect({ servers: this.url, name: `hotswap-stream-trigger-${this.triggerId}`, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500, timeout: 2000 });
    this.js = this.nc.jetstream();
    this.kv = await this.js.views.kv(CHECKPOINT_BUCKET, { history: 1 });
    let stored = (await this.stored())?.seq;
    const c = this.config;
    const opts: Partial<OrderedConsumerOptions> = c.subject ? { filterSubjects: c.subject } : {};
    if (stored === undefined && c.startingPosition === "LATEST") {
      // Pin the current end, unless another start pinned one first.
      const jsm = await this.nc.jetstreamManager();
      const last = (await jsm.streams.info(c.stream)).state.last_seq;
      await this.kv.create(this.key, sc.encode(String(last))).catch(() => undefined);
      stored = (await this.stored())?.seq ?? last;
    }
    // TRIM_HORIZON is sequence 1 (the server starts at the first message still stored).
    if (stored === undefined && c.startingPosition === "AT_TIMESTAMP") opts.opt_start_time = new Date(c.startingPositionTimestamp!).toISOString();
    else Object.assign(opts, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: (stored ?? 0) + 1 });
    this.consumer = await this.js.consumers.get(c.stream, opts);
  }

  async read(max: number, waitMs: number): Promise<StreamRecord[]> {
    if (!this.consumer) throw new Error(`the NATS stream source of trigger ${this.triggerId} is not open`);
    const messages = await this.consumer.fetch({ max_messages: max, expires: Math.max(1000, waitMs) });
    const records: StreamRecord[] = [];
    for await (const m of messages) {
      records.push({
        sequenceNumber: String(m.seq),
        partitionKey: m.headers?.get(PARTITION_KEY_HEADER) || m.subject,
        data: Buffer.from(m.data),
        arrivedAt: Math.floor(m.info.timestampNanos / 1e6),
      });
    }
    return records;
  }

  async checkpoint(sequenceNumber: string): Promise<void> {
    const kv = this.kv!;
    for (;;) {
      const current = await this.stored();
      if (current !== undefined && current.seq >= Number(sequenceNumber)) return;
      try {
        if (current) await kv.update(this.key, sc.encode(sequenceNumber), current.revision);
        else await kv.create(this.key, sc.encode(sequenceNumber));
        return;
      } catch (err) {
        // Someone else wrote between the read and the write: read again.
        if (!/wrong last sequence|key exists/i.test(String((err as Error).message))) throw err;
      }
    }
  }

  async sendFailure(record: StreamFailureRecord): Promise<void> {
    const to = this.config.onFailure?.subject;
    if (to) await this.js!.publish(to, sc.encode(JSON.stringify(record)));
  }

  async close(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    this.consumer = undefined;
    if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
  }

  async forgetCheckpoint(): Promise<void> {
    const nc = await connect({ servers: this.url, name: `hotswap-stream-trigger-${this.triggerId}`, timeout: 2000 });
    try {
      const kv = await nc.jetstream().views.kv(CHECKPOINT_BUCKET, { history: 1 });
      await kv.purge(this.key);
    } finally {
      await nc.close().catch(() => undefined);
    }
  }

  /** The stored checkpoint and its revision (for the compare-and-set). */
  private async stored(): Promise<{ seq: number; revision: number } | undefined> {
    const e = await this.kv!.get(this.key);
    return e && e.operation === "PUT" ? { seq: Number(sc.decode(e.value)), revision: e.revision } : undefined;
  }
}
