/**
 * Usage and cost, composed for the server: the observer that aggregates billed invocations into
 * `usage_hourly`, and the service the usage API reads it through (which flushes this replica's
 * pending counts first).
 */
import type { Logger } from "../../../shared/logger.ts";
import type { Repositories } from "../db/repositories/index.ts";
import type { Config } from "../config.ts";
import { sumCounts } from "./cost.ts";
import { gbSecondsOf } from "./billing.ts";
import { UsageObserver } from "./usage-observer.ts";
import { UsageService } from "./usage-service.ts";

export interface Usage {
  observer: UsageObserver;
  /** The usage API's service; `requireFunction` throws FunctionNotFound for an unknown function. */
  service(requireFunction: (name: string) => Promise<unknown>): UsageService;
}

export function startUsage(repos: Pick<Repositories, "usage">, config: Config["usage"], log: Pick<Logger, "warn" | "error">): Usage {
  const observer = new UsageObserver(repos.usage, {
    flushIntervalMs: config.flushIntervalMs,
    onError: (err) => log.warn({ err }, "usage flush failed; the counts are kept and retried with the next flush"),
    onDropped: (dropped, why) => {
      const lost = sumCounts(dropped.map((d) => ({ ...d, gbSeconds: gbSecondsOf(d.mbMs) })));
      log.error({ rows: dropped.length, ...lost }, `usage counts were dropped: ${why}`);
    },
  });
  return {
    observer,
    service: (requireFunction) => new UsageService({ repo: repos.usage, requireFunction, pricing: config.pricing, pending: observer }),
  };
}
