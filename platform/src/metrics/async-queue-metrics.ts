/**
 * The Prometheus series of the async queue (asynchronous and trigger-driven invocations):
 *   hotswap_async_events{status}            Queued, Running, Retrying: records not final yet (cluster-wide)
 *   hotswap_async_stream_pending            entries delivered to the workers and not yet acked (cluster-wide)
 *   hotswap_async_duplicates_total{reason}  possible duplicate runs this replica saw: taken-over,
 *                                           runner-lost, redelivered (async-workers.ts says when)
 * The gauges are read at scrape time (one grouped count on the invocations table, one pending count
 * on the stream), so invocations pay nothing for them; every replica reports the same cluster-wide
 * value, so dashboards take `max`. The counter is per replica: `sum` gives the cluster's figure.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { UNFINISHED_STATUSES, type InvocationsRepository } from "../db/repositories/invocations.ts";
import type { DuplicateReason } from "../async/async-workers.ts";
import { ASYNC_GROUP } from "../async/queued-event.ts";

const REASONS: readonly DuplicateReason[] = ["taken-over", "runner-lost", "redelivered"];

export class AsyncQueueMetrics {
  private readonly duplicates: Counter<"reason">;

  constructor(
    registry: Registry,
    deps: { invocations: Pick<InvocationsRepository, "countUnfinished">; state: Pick<StateStore, "pendingCount">; stream: string; onError(e: unknown): void },
  ) {
    const events = new Gauge({
      name: "hotswap_async_events",
      help: "Asynchronous and trigger-driven invocations not final yet, by status (Queued, Running, Retrying), across the cluster.",
      labelNames: ["status"],
      registers: [registry],
      collect: async () => {
        try {
          const counts = await deps.invocations.countUnfinished();
          for (const status of UNFINISHED_STATUSES) events.set({ status }, counts[status]);
        } catch (e) {
          deps.onError(e);
        }
      },
    });
    const pending = new Gauge({
      name: "hotswap_async_stream_pending",
      help: "Async queue entries delivered to the workers and not yet acknowledged (running or waiting for a retry), across the cluster.",
      registers: [registry],
      collect: async () => {
        try {
          pending.set(await deps.state.pendingCount(deps.stream, ASYNC_GROUP));
        } catch (e) {
          deps.onError(e);
        }
      },
    });
    this.duplicates = new Counter({
      name: "hotswap_async_duplicates_total",
      help: "Possible duplicate runs of asynchronous events (at-least-once delivery around crashes), by reason: taken-over, runner-lost, redelivered.",
      labelNames: ["reason"],
      registers: [registry],
    });
    for (const reason of REASONS) this.duplicates.inc({ reason }, 0);
  }

  duplicate(reason: DuplicateReason): void {
    this.duplicates.inc({ reason });
  }
}
