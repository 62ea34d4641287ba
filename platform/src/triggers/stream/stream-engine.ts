/**
 * Runs the consumers of enabled Stream triggers, spread over the control-plane replicas.
 *
 * Each trigger has a lease of its own, `hs:<cluster>:stream:<triggerId>:leader` (shared/lease), and
 * only its holder consumes it, so a replica's failure moves only the triggers it held (after the
 * lease TTL; at once when it stops cleanly and releases them). Who should take which trigger is a
 * share-out every replica computes alike (trigger-assignment.ts: sticky, at most ceil(triggers /
 * replicas) each, and only to replicas that can read the trigger's broker) from the triggers table
 * and the replicas announced in the state store (stream-replicas.ts). On every pass (`intervalMs`,
 * and at once after a trigger write on this replica, poke()) a replica:
 *   1. stops the consumers of triggers that were deleted, disabled, changed, or are no longer its
 *      share, and gives their leases up (after the consumer stopped, so a handover processes
 *      nothing twice: a consumer only stops between batches, after its checkpoint is stored);
 *   2. tries to acquire the leases of triggers that are its share and starts their consumers, which
 *      resume from the checkpoints stored in the brokers;
 *   3. announces what it holds.
 * A deleted trigger's checkpoint, or its old one when it moved to another source or stream, is
 * deleted by the replica that held its lease, after its consumer stopped and before the lease goes;
 * what no replica held at the time (a disabled trigger) is found by a sweep every `sweepIntervalMs`
 * (checkpoint-sweeper.ts).
 * Leases renew on their own timers; a lease that is lost (expired, taken over, store unreachable)
 * stops its consumer at once.
 */
import { StreamTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { LeaderLease } from "../../../../shared/lease/leader-lease.ts";
import type { StateStore } from "../../../../shared/state/state-store.ts";
import type { Repositories } from "../../db/repositories/index.ts";
import type { Invoker } from "../../router/invoker.ts";
import type { TriggerStats } from "../trigger-stats.ts";
import { defaultRetryDelayMs, StreamConsumer } from "./stream-consumer.ts";
import { StreamReplicas } from "./stream-replicas.ts";
import { readableSources, streamSourceFor, type StreamConnections } from "./stream-sources.ts";
import type { StreamSource } from "./stream-source.ts";
import { assignTriggers } from "./trigger-assignment.ts";
import { checkpointOf, sweepCheckpoints } from "./checkpoint-sweeper.ts";

export interface StreamEngineOptions {
  repos: Pick<Repositories, "triggers" | "invocations">;
  invoker: Pick<Invoker, "invoke">;
  stats: Pick<TriggerStats, "record">;
  connections: StreamConnections;
  /** Where the per-trigger leases and the replica announcements live. */
  state: StateStore;
  /** The cluster's key prefix, `hs:<cluster id>:`. */
  namespace: string;
  /** This replica, unique per process. */
  holder: string;
  /** A trigger's lease lasts this long unrenewed: a crashed replica's triggers move within about this. @default 5000 */
  leaseTtlMs?: number;
  /** @default 1000 */
  intervalMs?: number;
  /** @default 1000 */
  readWaitMs?: number;
  /** How often this replica looks for checkpoints no trigger uses any more. @default 60000 */
  sweepIntervalMs?: number;
  retryDelayMs?: (n: number) => number;
  log: { warn(obj: object, msg: string): void };
}

/** A trigger whose lease this replica holds, and its consumer. */
interface Held {
  lease: LeaderLease;
  /** The trigger's function, qualifier and config: a change restarts the consumer. */
  key: string;
  /** Its source and stream: a change also deletes the old checkpoint. */
  checkpointOf: string;
  /** Deletes the checkpoint it has under checkpointOf. */
  source: StreamSource;
  consumer: StreamConsumer;
}

interface Wanted {
  key: string;
  checkpointOf: string;
  config: StreamTriggerConfig;
  functionName: string;
  qualifier: string;
}

export class StreamEngine {
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<void> | undefined;
  private again = false;
  private readonly held = new Map<string, Held>();
  private readonly replicas: StreamReplicas;
  /** Triggers already warned about (invalid config, broker not configured), by their config key: warned once, not every pass. */
  private readonly warned = new Map<string, string>();
  private stopped = false;
  private sweptAt = 0;

  constructor(private readonly o: StreamEngineOptions) {
    this.replicas = new StreamReplicas(o.state, o.namespace, o.holder, Math.max(this.leaseTtlMs, 3 * (o.intervalMs ?? 1000)));
  }

  private get leaseTtlMs(): number {
    return this.o.leaseTtlMs ?? 5000;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.poke();
    this.timer = setInterval(() => void this.poke(), this.o.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stop every consumer, hand the leases over and leave the share-out. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.passing;
    await Promise.all([...this.held.keys()].map((id) => this.release(id)));
    await this.replicas.leave().catch((e) => this.o.log.warn({ err: e }, "leaving the stream trigger share-out failed"));
  }

  /** Trigger ids with a running consumer here (for tests and logs). */
  get consuming(): string[] {
    return [...this.held.keys()];
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
    if (this.stopped) return;
    const all = await this.o.repos.triggers.list({ type: "Stream" });
    const wanted = new Map<string, Wanted>();
    for (const t of all) {
      if (!t.enabled) continue;
      const parsed = StreamTriggerConfig.safeParse(t.config);
      if (!parsed.success) {
        this.warnOnce(t.id, JSON.stringify(t.config), "Stream trigger has an invalid config; it is not consumed");
        continue;
      }
      const config = parsed.data;
      wanted.set(t.id, { key: JSON.stringify([t.functionName, t.qualifier, config]), checkpointOf: checkpointOf(config)!, config, functionName: t.functionName, qualifier: t.qualifier });
    }
    const sources = readableSources(this.o.connections);
    const others = (await this.replicas.live()).filter((r) => r.holder !== this.o.holder);
    const self = { holder: this.o.holder, sources, holds: [...this.held.keys()] };
    const assigned = assignTriggers(
      [...wanted].map(([id, w]) => ({ id, source: w.config.source })),
      [self, ...others],
    );
    const existing = new Map(all.map((t) => [t.id, t]));
    for (const [id, h] of [...this.held]) {
      const w = wanted.get(id);
      if (!h.lease.isLeader() || assigned.get(id) !== this.o.holder || w === undefined) {
        // Deleted: its checkpoint goes. Disabled or no longer this replica's share: it stays, for whoever resumes.
        await this.release(id, !existing.has(id) || (w !== undefined && w.checkpointOf !== h.checkpointOf));
      } else if (w.key !== h.key) {
        await this.restart(id, h, w);
      }
    }
    for (const [id, w] of wanted) {
      if (this.stopped || this.held.has(id)) continue;
      if (!sources.includes(w.config.source)) {
        this.warnOnce(id, w.key, "Stream trigger's broker is not configured on this replica (HOTSWAP_STREAM_REDIS_URL / REDIS_URL, HOTSWAP_NATS_URL); another replica that can read it consumes it");
        continue;
      }
      if (assigned.get(id) === this.o.holder) await this.acquire(id, w);
    }
    await this.replicas.announce(sources, [...this.held.keys()]);
    if (!this.stopped && Date.now() - this.sweptAt >= (this.o.sweepIntervalMs ?? 60_000)) {
      this.sweptAt = Date.now();
      await sweepCheckpoints({ connections: this.o.connections, repos: this.o.repos, triggers: all, held: new Set(this.held.keys()), lease: (id) => this.lease(id) }).catch((e) =>
        this.o.log.warn({ err: e }, "looking for stream trigger checkpoints to delete failed; the next sweep retries"),
      );
    }
  }

  /** Take trigger `id`'s lease if free and start its consumer. */
  private async acquire(id: string, w: Wanted): Promise<void> {
    const lease: LeaderLease = this.lease(id, (why) => {
      if (why === "stopped" || this.held.get(id)?.lease !== lease) return;
      this.o.log.warn({ trigger: id, why }, "lost a stream trigger's lease; its consumer stops");
      void this.release(id);
    });
    await lease.hold();
    if (!lease.isLeader()) return;
    if (this.stopped) return void (await lease.stop());
    const source = streamSourceFor(this.o.connections, id, w.config)!;
    const held: Held = { lease, key: w.key, checkpointOf: w.checkpointOf, source, consumer: this.consumer(id, w, source) };
    this.held.set(id, held);
    held.consumer.start();
    await lease.start();
  }

  /** Trigger `id`'s lease (not yet acquired). */
  private lease(id: string, onLost?: (why: string) => void): LeaderLease {
    return new LeaderLease(this.o.state, {
      duty: `stream:${id}`,
      namespace: this.o.namespace,
      holder: this.o.holder,
      ttlMs: this.leaseTtlMs,
      renewMs: Math.max(50, Math.floor(this.leaseTtlMs / 5)),
      ...(onLost ? { onLost: (_token: number, why: string) => onLost(why) } : {}),
      onError: (e) => this.o.log.warn({ err: e, trigger: id }, "stream trigger lease renewal failed"),
    });
  }

  /** The trigger changed but stays here: a new consumer; the old checkpoint goes when it reads another stream now. */
  private async restart(id: string, h: Held, w: Wanted): Promise<void> {
    await h.consumer.stop();
    if (w.checkpointOf !== h.checkpointOf) await this.forget(id, h.source);
    const source = streamSourceFor(this.o.connections, id, w.config);
    if (!source || !h.lease.isLeader() || this.held.get(id) !== h) return void (await this.release(id));
    Object.assign(h, { key: w.key, checkpointOf: w.checkpointOf, source, consumer: this.consumer(id, w, source) });
    h.consumer.start();
  }

  /** Stop trigger `id`'s consumer, delete its checkpoint if asked (lease still held), then give the lease up. */
  private async release(id: string, forget = false): Promise<void> {
    const h = this.held.get(id);
    if (!h) return;
    this.held.delete(id);
    await h.consumer.stop();
    if (forget && h.lease.isLeader()) await this.forget(id, h.source);
    await h.lease.stop();
  }

  private async forget(id: string, source: StreamSource): Promise<void> {
    await source.forgetCheckpoint().catch((e) => this.o.log.warn({ err: e, trigger: id }, "deleting a stream trigger's checkpoint failed; it is left in the broker"));
  }

  private consumer(id: string, w: Wanted, source: StreamSource): StreamConsumer {
    return new StreamConsumer({
      repos: this.o.repos,
      invoker: this.o.invoker,
      stats: this.o.stats,
      log: this.o.log,
      target: { triggerId: id, functionName: w.functionName, qualifier: w.qualifier },
      config: w.config,
      source,
      readWaitMs: this.o.readWaitMs ?? 1000,
      retryDelayMs: this.o.retryDelayMs ?? defaultRetryDelayMs,
    });
  }

  private warnOnce(triggerId: string, key: string, msg: string): void {
    if (this.warned.get(triggerId) === key) return;
    this.warned.set(triggerId, key);
    this.o.log.warn({ trigger: triggerId }, msg);
  }
}
