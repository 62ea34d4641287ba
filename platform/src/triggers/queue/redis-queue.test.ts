/** The queue trigger contract on a real Redis (TEST_REDIS_URL): Redis Streams consumer groups. */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { TEST_REDIS_URL, serviceSkipReason } from "../../../../tests/support/services.ts";
import { runQueueContract, type QueueBroker } from "./queue-source.contract.ts";
import { openRedisQueue, redisGroupOf } from "./redis-queue.ts";

const skip = await serviceSkipReason("redis", TEST_REDIS_URL);
let admin: Redis | undefined;
const redis = () => (admin ??= new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 }));

const broker: QueueBroker = {
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
    await redis().del(config.stream!, config.deadLetter!.stream!);
  },
  async close() {
    admin?.disconnect();
  },
};

runQueueContract(() => broker, skip);
