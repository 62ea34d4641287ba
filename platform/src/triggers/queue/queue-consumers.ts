/**
 * The Queue trigger consumers of this control-plane replica: one QueueConsumer per enabled Queue
 * trigger. Every replica runs them (consumer groups, competing consumers and a shared durable
 * consumer split the work). They follow the triggers table like the Http route table does: a
 * change made on any replica is broadcast on TRIGGERS_CHANNEL, a deleted function is noticed on
 * the routing channel, and a slow periodic reload repairs a lost message. A trigger whose function,
 * qualifier or config changed gets a new consumer (the old one finishes its batches first).
 * Each trigger's maxConcurrency holds across replicas: its consumers share lease slots in the state
 * store (batch-slots.ts), Redis for a cluster, in-process when embedded.
 */
import { QueueTriggerConfig } from "../../../../protocol/api/triggers.ts";
import type { StateStore, Unsubscribe } from "../../../../shared/state/state-store.ts";
import type { Repositories } from "../../db/index.ts";
import { ROUTING_CHANNEL } from "../../router/routing-table.ts";
import { TRIGGERS_CHANNEL } from "../http-route-table.ts";
import { BatchSlots } from "./batch-slots.ts";
import { QueueConsumer, type QueueConsumerOptions, type QueueTriggerRef } from "./queue-consumer.ts";
import type { QueueSources } from "./queue-sources.ts";

export interface QueueConsumersOptions {
  repos: Pick<Repositories, "triggers">;
  state: StateStore;
  sources: Pick<QueueSources, "open">;
  invokeBatch: QueueConsumerOptions["invokeBatch"];
  retryDelayMs: number;
  /** A concurrency slot's lease TTL: how long a dead replica's slots stay taken (HOTSWAP_QUEUE_STALE_AFTER). */
  slotTtlMs: number;
  /** How long stop() waits for running batches. */
  graceMs: number;
  log: QueueConsumerOptions["log"];
  refreshIntervalMs?: number;
}

export class QueueConsumers {
  private readonly running = new Map<string, { key: string; consumer: QueueConsumer }>();
  private readonly unsubscribe: Unsubscribe[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: QueueConsumersOptions) {}

  async start(): Promise<void> {
    const reload = () => void this.reload().catch((e) => this.o.log.warn({ err: e }, "reloading queue triggers failed"));
    this.unsubscribe.push(await this.o.state.subscribe(TRIGGERS_CHANNEL, (type) => type === "Queue" && reload()));
    this.unsubscribe.push(await this.o.state.subscribe(ROUTING_CHANNEL, (name) => [...this.running.values()].some((r) => r.consumer.trigger.functionName === name) && reload()));
    await this.reload();
    this.timer = setInterval(reload, this.o.refreshIntervalMs ?? 30_000);
    this.timer.unref();
  }

  /** Consumers running now, by trigger id (tests, health). */
  get triggerIds(): string[] {
    return [...this.running.keys()];
  }

  /** Start consumers of new enabled triggers, stop those of removed or disabled ones; reloads never overlap. */
  reload(): Promise<void> {
    this.chain = this.chain.catch(() => undefined).then(() => this.sync());
    return this.chain;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const u of this.unsubscribe.splice(0)) await u();
    await this.chain.catch(() => undefined);
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => r.consumer.stop(this.o.graceMs)));
  }

  private async sync(): Promise<void> {
    if (this.stopped) return;
    const wanted = new Map<string, { key: string; ref: QueueTriggerRef }>();
    for (const t of await this.o.repos.triggers.list({ type: "Queue" })) {
      if (!t.enabled) continue;
      const config = QueueTriggerConfig.safeParse(t.config);
      if (!config.success) {
        this.o.log.warn({ trigger: t.id, issues: config.error.issues.map((i) => i.message) }, "Queue trigger has an invalid stored config; it is not consumed");
        continue;
      }
      const ref = { id: t.id, functionName: t.functionName, qualifier: t.qualifier, config: config.data };
      wanted.set(t.id, { key: JSON.stringify([t.functionName, t.qualifier, config.data]), ref });
    }
    if (this.stopped) return;
    const stopping: Promise<void>[] = [];
    for (const [id, r] of this.running) {
      if (wanted.get(id)?.key === r.key) continue;
      this.running.delete(id);
      stopping.push(r.consumer.stop(this.o.graceMs));
    }
    await Promise.all(stopping);
    for (const [id, w] of wanted) {
      if (this.running.has(id)) continue;
      const slots = new BatchSlots({ state: this.o.state, triggerId: id, slots: w.ref.config.maxConcurrency, ttlMs: this.o.slotTtlMs, log: this.o.log });
      const consumer = new QueueConsumer({ trigger: w.ref, open: () => this.o.sources.open(id, w.ref.config), invokeBatch: this.o.invokeBatch, retryDelayMs: this.o.retryDelayMs, slots, log: this.o.log });
      consumer.start();
      this.running.set(id, { key: w.key, consumer });
    }
  }
}
