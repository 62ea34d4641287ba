/** The Stream trigger consumer contract on the real Redis (TEST_REDIS_URL), plus the entry shape. */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { TEST_REDIS_URL, serviceSkipReason } from "../../../../tests/support/services.ts";
import type { StreamFailureRecord } from "./kinesis-event.ts";
import { RedisStreamSource, redisCheckpointKey } from "./redis-stream-source.ts";
import { streamConsumerContract, type BrokerHarness } from "./stream-consumer.contract.ts";

const CLUSTER = "contract";

streamConsumerContract("Redis Streams", async (): Promise<BrokerHarness | string> => {
  const skip = await serviceSkipReason("redis", TEST_REDIS_URL);
  if (skip) return skip;
  const redis = new Redis(TEST_REDIS_URL);
  return {
    eventSource: "hotswap:redis",
    readWaitMs: 200,
    source: (triggerId, config) => new RedisStreamSource(TEST_REDIS_URL, CLUSTER, triggerId, config),
    async createStream() {
      const stream = `hstest:stream-trigger:${randomBytes(5).toString("hex")}`;
      const failures = `${stream}:failures`;
      return {
        config: { stream },
        onFailure: { stream: failures },
        append: async (partitionKey, data) => (await redis.xadd(stream, "*", "partitionKey", partitionKey, "data", data))!,
        failures: async () => (await redis.xrange(failures, "-", "+")).map(([, fields]) => JSON.parse(fields[fields.indexOf("body") + 1]!) as StreamFailureRecord),
        checkpoint: async (triggerId) => (await redis.get(redisCheckpointKey(CLUSTER, triggerId, stream))) ?? undefined,
        remove: async (triggerIds) => {
          await redis.del(stream, failures, ...triggerIds.map((id) => redisCheckpointKey(CLUSTER, id, stream)));
        },
      };
    },
    close: async () => void (await redis.quit()),
  };
});
