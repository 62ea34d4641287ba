/**
 * The queue trigger contract on a real RabbitMQ (TEST_AMQP_URL). Without the management API the
 * test sees only ready messages, so `unsettled` is the ready count (unacked ones are invisible);
 * the contract's "not delivered again" and "stopped mid-batch" checks cover acking.
 */
import { randomBytes } from "node:crypto";
import { connect, type ChannelModel, type Channel } from "amqplib";
import { TEST_AMQP_URL, serviceSkipReason } from "../../../../tests/support/services.ts";
import { runQueueContract, type DeadLetter, type QueueBroker } from "./queue-source.contract.ts";
import { openRabbitQueue, RECEIVE_COUNT_HEADER } from "./rabbitmq-queue.ts";

const skip = await serviceSkipReason("rabbitmq", TEST_AMQP_URL);
let conn: ChannelModel | undefined;
let ch: Channel | undefined;
async function channel(): Promise<Channel> {
  conn ??= await connect(TEST_AMQP_URL);
  return (ch ??= await conn.createChannel());
}
const drained = new Map<string, DeadLetter[]>();

const broker: QueueBroker = {
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
    await c.deleteQueue(config.deadLetter!.queue!);
  },
  async close() {
    await conn?.close().catch(() => undefined);
  },
};

runQueueContract(() => broker, skip);
