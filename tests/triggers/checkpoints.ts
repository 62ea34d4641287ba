/**
 * Stream trigger checkpoints as the end-to-end tests read them from the brokers. A checkpoint is
 * stored under its cluster's id (which these tests do not know); trigger ids are unique across
 * clusters, so the trigger id and stream find it.
 */
import type { Redis } from "ioredis";
import { StringCodec, type KV } from "nats";
import { redisCheckpointKey } from "../../platform/src/triggers/stream/redis-stream-source.ts";
import { natsCheckpointKey } from "../../platform/src/triggers/stream/nats-stream-source.ts";

const sc = StringCodec();

/** The Redis keys of trigger `triggerId`'s checkpoints on `stream` (one, or none before the first write). */
export async function redisCheckpointKeys(redis: Redis, triggerId: string, stream: string): Promise<string[]> {
  const pattern = redisCheckpointKey("*", triggerId, stream.replace(/[*?[\]\\]/g, "\\$&"));
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return found;
}

/** Trigger `triggerId`'s checkpoint on Redis `stream` (the last processed entry id), or null. */
export async function redisCheckpoint(redis: Redis, triggerId: string, stream: string): Promise<string | null> {
  const [key, ...more] = await redisCheckpointKeys(redis, triggerId, stream);
  if (more.length > 0) throw new Error(`trigger ${triggerId} has checkpoints under several clusters: ${[key, ...more].join(", ")}`);
  return key === undefined ? null : redis.get(key);
}

/** Trigger `triggerId`'s checkpoint on NATS stream `stream` (the last processed sequence), or undefined. */
export async function natsCheckpoint(kv: KV, triggerId: string, stream: string): Promise<string | undefined> {
  for await (const key of await kv.keys(natsCheckpointKey("*", triggerId, stream))) {
    const e = await kv.get(key);
    if (e?.operation === "PUT") return sc.decode(e.value);
  }
  return undefined;
}

/** Remove trigger `triggerId`'s checkpoint on NATS stream `stream`, if it has one. */
export async function purgeNatsCheckpoint(kv: KV, triggerId: string, stream: string): Promise<void> {
  for await (const key of await kv.keys(natsCheckpointKey("*", triggerId, stream))) await kv.purge(key);
}
