/**
 * The brokers this control plane can consume Queue triggers from, from its config: which sources
 * are configured (a trigger on another one is refused with the variable to set) and how to open a
 * receiver for a trigger on each.
 */
import { ApiError } from "../../../../protocol/errors.ts";
import type { QueueTriggerConfig } from "../../../../protocol/api/triggers.ts";
import type { Config } from "../../config.ts";
import { openNatsQueue } from "./nats-queue.ts";
import { openRabbitQueue } from "./rabbitmq-queue.ts";
import { openRedisQueue } from "./redis-queue.ts";
import type { QueueReceiver } from "./queue-source.ts";

export type QueueSourceName = QueueTriggerConfig["source"];

/** The variable that configures each source, for the 400 that asks for it. */
const VARIABLE: Record<QueueSourceName, string> = { redis: "HOTSWAP_QUEUE_REDIS_URL (or REDIS_URL)", rabbitmq: "HOTSWAP_AMQP_URL", nats: "HOTSWAP_NATS_URL" };

export class QueueSources {
  constructor(private readonly config: Config["queues"]) {}

  private urlOf(source: QueueSourceName): string | undefined {
    return source === "redis" ? this.config.redisUrl : source === "rabbitmq" ? this.config.amqpUrl : this.config.natsUrl;
  }

  /** Throws 400 EventSourceNotConfigured when this server has no connection for `source`. */
  assertConfigured(source: QueueSourceName): void {
    if (this.urlOf(source)) return;
    throw new ApiError(
      "EventSourceNotConfigured",
      `Queue source "${source}" is not configured on this server: set ${VARIABLE[source]} on every control-plane replica and restart it, or use another source.`,
    );
  }

  open(triggerId: string, config: QueueTriggerConfig): Promise<QueueReceiver> {
    const url = this.urlOf(config.source);
    if (!url) return Promise.reject(new Error(`queue source "${config.source}" is not configured (set ${VARIABLE[config.source]})`));
    const staleAfterMs = this.config.staleAfterMs;
    if (config.source === "redis") return openRedisQueue({ url, triggerId, config, staleAfterMs });
    if (config.source === "rabbitmq") return openRabbitQueue({ url, triggerId, config });
    return openNatsQueue({ url, triggerId, config, staleAfterMs });
  }
}
