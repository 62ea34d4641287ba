/**
 * Which brokers Stream triggers can read on this control plane (config.streams), the precise 400s
 * for a trigger whose source has no connection setting or names one of the platform's own keys or
 * subjects, and the source a trigger reads.
 *
 * Reserved, so that a trigger can neither read the platform's data nor write into it: Redis keys
 * starting with `hs:` or `hotswap:` (the state store's keys, the checkpoints), also behind the state
 * store's HOTSWAP_REDIS_PREFIX; NATS subjects starting with `$` (the JetStream API, key-value
 * buckets) and the checkpoint bucket's stream.
 */
import { ApiError } from "../../../../protocol/errors.ts";
import type { StreamTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { CHECKPOINT_BUCKET, NatsStreamSource } from "./nats-stream-source.ts";
import { RedisStreamSource } from "./redis-stream-source.ts";
import type { StreamSource } from "./stream-source.ts";

export interface StreamConnections {
  /**
   * The cluster's id (DeploymentsRepository.clusterId): checkpoints are kept under it, so
   * installations sharing a broker never read, or sweep away, each other's.
   */
  cluster: string;
  redisUrl?: string;
  natsUrl?: string;
  /** The state store's key prefix (HOTSWAP_REDIS_PREFIX), whose `hs:` and `hotswap:` keys are reserved too. */
  stateKeyPrefix?: string;
}

/** The broker settings alone, which is what the API's checks need. */
export type BrokerSettings = Omit<StreamConnections, "cluster">;

/** The checks create and update make on a Stream trigger's config beyond its schema. */
export function assertStreamTrigger(connections: BrokerSettings, config: StreamTriggerConfig): void {
  assertSourceConfigured(connections, config.source);
  const reserved = (what: string, name: string, hint: string) =>
    new ApiError("ValidationError", `Invalid Stream trigger config: ${what} "${name.slice(0, 100)}" is reserved for the platform's own data (${hint}); pick another name.`);
  if (config.source === "redis") {
    const prefixes = ["hs:", "hotswap:"].flatMap((p) => [p, `${connections.stateKeyPrefix ?? ""}${p}`]);
    for (const [field, name] of [["config.stream", config.stream], ["config.onFailure.stream", config.onFailure?.stream]] as const) {
      if (name !== undefined && prefixes.some((p) => name.startsWith(p))) throw reserved(field, name, 'Redis keys starting with "hs:" or "hotswap:"');
    }
  } else {
    for (const [field, name] of [["config.subject", config.subject], ["config.onFailure.subject", config.onFailure?.subject]] as const) {
      if (name !== undefined && name.startsWith("$")) throw reserved(field, name, 'NATS subjects starting with "$"');
    }
    if (config.stream === `KV_${CHECKPOINT_BUCKET}`) throw reserved("config.stream", config.stream, "the stream of the checkpoint bucket");
  }
}

/** 400 EventSourceNotConfigured naming the variable to set, when `source` cannot be read here. */
function assertSourceConfigured(connections: BrokerSettings, source: StreamTriggerConfig["source"]): void {
  if (source === "redis" && !connections.redisUrl) {
    throw new ApiError("EventSourceNotConfigured", 'Stream triggers with source "redis" need a Redis: set HOTSWAP_STREAM_REDIS_URL (or REDIS_URL) on the control plane, e.g. redis://127.0.0.1:6379.');
  }
  if (source === "nats" && !connections.natsUrl) {
    throw new ApiError("EventSourceNotConfigured", 'Stream triggers with source "nats" need a NATS server with JetStream: set HOTSWAP_NATS_URL on the control plane, e.g. nats://127.0.0.1:4222.');
  }
}

/** The brokers this control plane can read Stream triggers from. */
export function readableSources(connections: BrokerSettings): Array<StreamTriggerConfig["source"]> {
  return [...(connections.redisUrl ? (["redis"] as const) : []), ...(connections.natsUrl ? (["nats"] as const) : [])];
}

/** The source trigger `triggerId` reads; undefined when its broker is not configured. */
export function streamSourceFor(connections: StreamConnections, triggerId: string, config: StreamTriggerConfig): StreamSource | undefined {
  if (config.source === "redis") return connections.redisUrl ? new RedisStreamSource(connections.redisUrl, connections.cluster, triggerId, config) : undefined;
  return connections.natsUrl ? new NatsStreamSource(connections.natsUrl, connections.cluster, triggerId, config) : undefined;
}
