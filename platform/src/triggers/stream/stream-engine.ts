/**
 * Runs the consumers of every enabled Stream trigger, on one control-plane replica at a time: the
 * holder of the `streams` leader lease (shared/lease). Every `intervalMs` (and at once after a
 * trigger write on this replica, poke()) the leader reconciles its consumers with the triggers
 * table: new and changed triggers get a consumer, deleted, disabled and changed ones lose theirs.
 * When the lease is lost every consumer stops at once; the next leader's consumers resume from the
 * checkpoints stored in the brokers, so a leader change skips nothing and reprocesses at most the
 * batches that were running and not yet checkpointed (at-least-once, as Lambda's Kinesis mappings).
 */
import { StreamTriggerConfig } from "../../../../protocol/api/triggers.ts";
import type { LeaderLease } from "../../../../shared/lease/leader-lease.ts";
import type { Repositories } from "../../db/repositories/index.ts";
import type { Invoker } from "../../router/invoker.ts";
import type { TriggerStats } from "../trigger-stats.ts";
import { defaultRetryDelayMs, StreamConsumer } from "./stream-consumer.ts";
import { streamSourceFor, type StreamConnections } from "./stream-sources.ts";

export interface StreamEngineOptions {
  repos: Pick<Repositories, "triggers" | "invocations">;
  invoker: Pick<Invoker, "invoke">;
  stats: Pick<TriggerStats, "record">;
  connections: StreamConnections;
  /** The `streams` duty's lease. */
  lease: LeaderLease;
  /** @default 1000 */
  intervalMs?: number;
  /** @default 1000 */
  readWaitMs?: number;
  retryDelayMs?: (n: number) => number;
  log: { warn(obj: object, msg: string): void };
}

interface Running {
  key: string;
  consumer: StreamConsumer;
}

export class StreamEngine {
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<void> | undefined;
  private again = false;
  private readonly running = new Map<string, Running>();
  /** Triggers already warned about (invalid config, broker not configured), by their config key: warned once, not every pass. */
  private readonly warned = new Map<string, string>();
  private stopped = false;

  constructor(private readonly o: StreamEngineOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.o.lease.start();
    await this.poke();
    this.timer = setInterval(() => void this.poke(), this.o.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stop every consumer and hand the lease over. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.passing;
    await this.stopAll();
    await this.o.lease.stop();
  }

  /** Trigger ids with a running consumer here (for tests and logs). */
  get consuming(): string[] {
    return [...this.running.keys()];
  }

  /** Reconcile now (a pass under way is followed by another). */
  poke(): Promise<void> {
    if (this.passing) {
      this.again = true;
      return this.passing;
    }
    this.passing = (async () => {
      do {
        this.again = false;
        await this.reconcile().catch((e) => this.o.log.warn({ err: e }, "stream trigger reconcile failed"));
      } while (this.again && !this.stopped);
    })().finally(() => (this.passing = undefined));
    return this.passing;
  }

  private async reconcile(): Promise<void> {
    if (this.stopped || !this.o.lease.isLeader()) return this.stopAll();
    const wanted = new Map<string, { key: string; start: () => StreamConsumer | undefined }>();
    for (const t of await this.o.repos.triggers.list({ type: "Stream" })) {
      if (!t.enabled) continue;
      const parsed = StreamTriggerConfig.safeParse(t.config);
      if (!parsed.success) {
        this.warnOnce(t.id, JSON.stringify(t.config), "Stream trigger has an invalid config; it is not consumed");
        continue;
      }
      const config = parsed.data;
      const key = JSON.stringify([t.functionName, t.qualifier, config]);
      wanted.set(t.id, {
        key,
        start: () => {
          const source = streamSourceFor(this.o.connections, t.id, config);
          if (!source) return undefined;
          return new StreamConsumer({
            repos: this.o.repos,
            invoker: this.o.invoker,
            stats: this.o.stats,
            log: this.o.log,
            target: { triggerId: t.id, functionName: t.functionName, qualifier: t.qualifier },
            config,
            source,
            readWaitMs: this.o.readWaitMs ?? 1000,
            retryDelayMs: this.o.retryDelayMs ?? defaultRetryDelayMs,
          });
        },
      });
    }
    for (const [id, r] of this.running) {
      if (wanted.get(id)?.key !== r.key) {
        this.running.delete(id);
        await r.consumer.stop();
      }
    }
    for (const [id, w] of wanted) {
      if (this.running.has(id) || this.stopped || !this.o.lease.isLeader()) continue;
      const consumer = w.start();
      if (!consumer) {
        this.warnOnce(id, w.key, "Stream trigger's broker is not configured on this replica (HOTSWAP_STREAM_REDIS_URL / REDIS_URL, HOTSWAP_NATS_URL); it is not consumed");
        continue;
      }
      this.running.set(id, { key: w.key, consumer });
      consumer.start();
    }
  }

  private warnOnce(triggerId: string, key: string, msg: string): void {
    if (this.warned.get(triggerId) === key) return;
    this.warned.set(triggerId, key);
    this.o.log.warn({ trigger: triggerId }, msg);
  }

  private async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => r.consumer.stop()));
  }
}
