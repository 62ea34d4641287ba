/**
 * Test access to the three real brokers Queue triggers consume (Redis, RabbitMQ, NATS JetStream):
 * for each, fresh queue names, publishing, reading the dead-letter destination back, counting
 * unsettled messages, and removing what a test made. Used by the adapters' contract runs and the
 * end-to-end queue trigger tests. RabbitMQ has no management API here, so its `unsettled` is the
 * ready count (unacked messages are invisible to AMQP).
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { connect as amqpConnect, type ChannelModel, type Channel } from "amqplib";
import { connect as natsConnect, headers, type NatsConnection } from "nats";
import { TEST_AMQP_URL, TEST_NATS_URL, TEST_REDIS_URL } from "./services.ts";
import type { DeadLetter, QueueBroker } from "../../platform/src/triggers/queue/queue-source.contract.ts";
import { openRedisQueue, redisGroupOf } from "../../platform/src/triggers/queue/redis-queue.ts";
import { openRabbitQueue, RECEIVE_COUNT_HEADER } from "../../platform/src/triggers/queue/rabbitmq-queue.ts";
import { openNatsQueue } from "../../platform/src/triggers/queue/nats-queue.ts";

let admin: Redis | undefined;
const redis = () => (admin ??= new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 }));

export const redisBroker: QueueBroker = {
  source: "redis",
  names() {
    const n = `hstest:queue:${randomBytes(5).toString("hex")}`;
    return { queue: { stream: n }, deadLetter: { stream: `${n}:dlq` } };
  },
  open: (triggerId, config) => openRedisQueue({ url: TEST_REDIS_URL, triggerId, config, staleAfterMs: 600 }),
  async publish(config, messages) {
    for (const m of messages) await redis().xadd(config.stream!, "*", "body", m.body, ...Object.entries(m.attributes ?? {}).flat());
  },
  async deadLetters(config) {
    const entries = await redis().xrange(config.deadLetter!.stream!, "-", "+");
    return entries.map(([, flat]) => {
      const f = Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]!]] : [])));
      return { body: f.body!, receiveCount: Number(f["hotswap-receive-count"]) };
    });
  },
  async unsettled(config, triggerId) {
    const summary = (await redis().xpending(config.stream!, redisGroupOf(triggerId, config))) as [number, ...unknown[]];
    return Number(summary[0]);
  },
  async remove(config) {
    await redis().del(config.stream!, ...(config.deadLetter?.stream ? [config.deadLetter.stream] : []));
  },
  async close() {
    admin?.disconnect();
    admin = undefined;
  },
};

let conn: ChannelModel | undefined;
let ch: Channel | undefined;
async function channel(): Promise<Channel> {
  conn ??= await amqpConnect(TEST_AMQP_URL);
  return (ch ??= await conn.createChannel());
}
const drained = new Map<string, DeadLetter[]>();

export const rabbitBroker: QueueBroker = {
  source: "rabbitmq",
  names() {
    const n = `hstest-queue-${randomBytes(5).toString("hex")}`;
    return { queue: { queue: n }, deadLetter: { queue: `${n}-dlq` } };
  },
  open: (triggerId, config) => openRabbitQueue({ url: TEST_AMQP_URL, triggerId, config }),
  async publish(config, messages) {
    const c = await channel();
    await c.assertQueue(config.queue!, { durable: true });
    for (const m of messages) c.sendToQueue(config.queue!, Buffer.from(m.body), { headers: m.attributes ?? {}, timestamp: Math.floor(Date.now() / 1000), persistent: true });
  },
  async deadLetters(config) {
    const c = await channel();
    const q = config.deadLetter!.queue!;
    await c.assertQueue(q, { durable: true });
    const list = drained.get(q) ?? [];
    for (let m = await c.get(q, { noAck: true }); m; m = await c.get(q, { noAck: true })) {
      list.push({ body: m.content.toString(), receiveCount: Number(m.properties.headers?.[RECEIVE_COUNT_HEADER]) });
    }
    drained.set(q, list);
    return list;
  },
  async unsettled(config) {
    return (await (await channel()).checkQueue(config.queue!)).messageCount;
  },
  async remove(config) {
    const c = await channel();
    await c.deleteQueue(config.queue!);
    if (config.deadLetter?.queue) await c.deleteQueue(config.deadLetter.queue);
  },
  async close() {
    await conn?.close().catch(() => undefined);
    conn = undefined;
    ch = undefined;
  },
};

let nc: NatsConnection | undefined;
const nats = async () => (nc ??= await natsConnect({ servers: TEST_NATS_URL }));

export const natsBroker: QueueBroker = {
  source: "nats",
  names() {
    const n = `HSTEST_QUEUE_${randomBytes(5).toString("hex")}`;
    return { queue: { stream: n }, deadLetter: { stream: `${n}_DLQ` } };
  },
  open: (triggerId, config) => openNatsQueue({ url: TEST_NATS_URL, triggerId, config, staleAfterMs: 2000 }),
  async publish(config, messages) {
    const c = await nats();
    const jsm = await c.jetstreamManager();
    await jsm.streams.info(config.stream!).catch(() => jsm.streams.add({ name: config.stream!, subjects: [config.stream!] }));
    for (const m of messages) {
      const h = headers();
      for (const [k, v] of Object.entries(m.attributes ?? {})) h.set(k, v);
      await c.jetstream().publish(config.stream!, new TextEncoder().encode(m.body), { headers: h });
    }
  },
  async deadLetters(config) {
    const jsm = await (await nats()).jetstreamManager();
    const name = config.deadLetter!.stream!;
    const info = await jsm.streams.info(name).catch(() => undefined);
    const out: DeadLetter[] = [];
    // An empty stream reports first_seq 0, which no message has (getMessage answers "bad request").
    if (!info || info.state.messages === 0) return out;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(name, { seq });
      out.push({ body: new TextDecoder().decode(m.data), receiveCount: Number(m.header.get("Hotswap-Receive-Count")) });
    }
    return out;
  },
  async unsettled(config, triggerId) {
    const jsm = await (await nats()).jetstreamManager();
    const info = await jsm.consumers.info(config.stream!, config.group ?? `hotswap-${triggerId}`);
    return info.num_ack_pending + info.num_pending;
  },
  async remove(config) {
    const jsm = await (await nats()).jetstreamManager();
    for (const s of [config.stream!, config.deadLetter?.stream].filter((x) => x !== undefined)) await jsm.streams.delete(s).catch(() => undefined);
  },
  async close() {
    await nc?.close();
    nc = undefined;
  },
};

/** A platform's settings for queue tests: both broker URLs (Redis comes from REDIS_URL), fast retries and takeover. */
export const FAST_QUEUE_ENV = { HOTSWAP_QUEUE_RETRY_DELAY: "PT0.05S", HOTSWAP_QUEUE_STALE_AFTER: "PT2S", HOTSWAP_AMQP_URL: TEST_AMQP_URL, HOTSWAP_NATS_URL: TEST_NATS_URL };

export const QUEUE_BROKERS = { redis: redisBroker, rabbitmq: rabbitBroker, nats: natsBroker } as const;
