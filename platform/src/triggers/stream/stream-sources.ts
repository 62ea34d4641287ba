/**
 * Which brokers Stream triggers can read on this control plane (config.streams), the precise 400
 * for a trigger whose source has no connection setting, and the source a trigger reads.
 */
import { ApiError } from "../../../../protocol/errors.ts";
import type { StreamTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { NatsStreamSource } from "./nats-stream-source.ts";
import { RedisStreamSource } from "./redis-stream-source.ts";
import type { StreamSource } from "./stream-source.ts";

export interface StreamConnections {
  redisUrl?: string;
  natsUrl?: string;
}

/** 400 EventSourceNotConfigured naming the variable to set, when `source` cannot be read here. */
export function assertSourceConfigured(connections: StreamConnections, source: StreamTriggerConfig["source"]): void {
  if (source === "redis" && !connections.redisUrl) {
    throw new ApiError("EventSourceNotConfigured", 'Stream triggers with source "redis" need a Redis: set HOTSWAP_STREAM_REDIS_URL (or REDIS_URL) on the control plane, e.g. redis://127.0.0.1:6379.');
  }
  if (source === "nats" && !connections.natsUrl) {
    throw new ApiError("EventSourceNotConfigured", 'Stream triggers with source "nats" need a NATS server with JetStream: set HOTSWAP_NATS_URL on the control plane, e.g. nats://127.0.0.1:4222.');
  }
}

/** The source trigger `triggerId` reads; undefined when its broker is not configured. */
export function streamSourceFor(connections: StreamConnections, triggerId: string, config: StreamTriggerConfig): StreamSource | undefined {
  if (config.source === "redis") return connections.redisUrl ? new RedisStreamSource(connections.redisUrl, triggerId, config) : undefined;
  return connections.natsUrl ? new NatsStreamSource(connections.natsUrl, triggerId, config) : undefined;
}
