/**
 * A Queue trigger's `maxConcurrency` across every control-plane replica (as Lambda's
 * ScalingConfig.MaximumConcurrency is per event source mapping, not per poller): a semaphore of
 * `maxConcurrency` numbered slots, each a lease in the state store (`queue-slot:<trigger>:<n>`).
 * A consumer takes a slot before it receives a batch and gives it back when the batch is settled;
 * while the batch runs the lease is renewed every third of its TTL, so the slots of a replica that
 * died (kill -9) expire after the TTL, when its unsettled messages come back too. On Redis the
 * slots are shared by every replica; on the embedded (in-process) state store they are the one
 * process's. Leases rather than the reserved-concurrency gate's pub/sub counts
 * (fleet/reserved-concurrency.ts), because those are up to ~20 ms old and two replicas could each
 * start the last batch: a lease is taken atomically (SET NX on Redis), so the cap is never exceeded.
 *
 * Fairness: a replica whose batch just finished would otherwise win its slot straight back from one
 * that polls, so a replica that found every slot taken leaves a short-lived waiting mark, and a
 * replica already holding a slot lets such a waiter go first.
 */
import { randomUUID } from "node:crypto";
import type { Lease, StateStore } from "../../../../shared/state/state-store.ts";

/** How often a replica that found every slot taken looks again (jittered). */
const RETRY_MS = 50;

export interface BatchSlotsOptions {
  state: Pick<StateStore, "acquireLease" | "renewLease" | "releaseLease" | "get" | "set" | "del">;
  triggerId: string;
  /** The trigger's maxConcurrency. */
  slots: number;
  /** A held slot's lease TTL: how long a dead replica's slots stay taken. */
  ttlMs: number;
  log: { warn(obj: object, msg: string): void };
}

/** One taken slot; release() gives it back (idempotent). */
export interface BatchSlot {
  release(): Promise<void>;
}

export class BatchSlots {
  private readonly id = randomUUID();
  private readonly waitKey: string;
  /** Slots this consumer holds now. */
  private holding = 0;

  constructor(private readonly o: BatchSlotsOptions) {
    this.waitKey = `queue-slot-waiting:${o.triggerId}`;
  }

  /**
   * Take a free slot, waiting (polling every ~50 ms) while all are taken; undefined once `signal`
   * aborts. A state store error is thrown (the consumer treats it like a broker outage).
   */
  async take(signal: AbortSignal): Promise<BatchSlot | undefined> {
    let marked = false;
    while (!signal.aborted) {
      const waiter = this.holding > 0 ? await this.o.state.get(this.waitKey) : null;
      const lease = waiter !== null && waiter !== this.id ? null : await this.tryTake();
      if (lease) {
        if (marked) await this.o.state.del(this.waitKey);
        this.holding++;
        return this.held(lease);
      }
      if (waiter === null || waiter === this.id) marked = await this.o.state.set(this.waitKey, this.id, { ttlMs: RETRY_MS * 4 });
      await new Promise<void>((r) => {
        const t = setTimeout(done, RETRY_MS / 2 + Math.random() * RETRY_MS);
        function done() {
          clearTimeout(t);
          signal.removeEventListener("abort", done);
          r();
        }
        signal.addEventListener("abort", done, { once: true });
      });
    }
    return undefined;
  }

  /** Try every slot once, from a random one, so replicas do not all contend for slot 0. */
  private async tryTake(): Promise<Lease | null> {
    const { slots, triggerId, ttlMs } = this.o;
    const from = Math.floor(Math.random() * slots);
    const holder = randomUUID();
    for (let i = 0; i < slots; i++) {
      const lease = await this.o.state.acquireLease(`queue-slot:${triggerId}:${(from + i) % slots}`, holder, ttlMs);
      if (lease) return lease;
    }
    return null;
  }

  private held(first: Lease): BatchSlot {
    let lease: Lease | null = first;
    let settled = false;
    const { state, ttlMs, log, triggerId } = this.o;
    const settle = () => this.holding--;
    const renew = setInterval(() => {
      if (!lease) return;
      void state.renewLease(lease, ttlMs).then(
        (l) => {
          if (!l && lease) log.warn({ trigger: triggerId, slot: lease.name }, "a queue batch outlived its concurrency slot (the replica stalled past the slot TTL); another batch may take it");
          if (lease) lease = l;
        },
        (e) => log.warn({ err: e, trigger: triggerId }, "renewing a queue concurrency slot failed; retrying"),
      );
    }, Math.max(20, Math.floor(ttlMs / 3)));
    renew.unref();
    return {
      async release() {
        if (settled) return;
        settled = true;
        clearInterval(renew);
        settle();
        const l = lease;
        lease = null;
        // A lease lost to a stall has nothing to give back, but the batch no longer holds a slot.
        if (l) await state.releaseLease(l).catch((e) => log.warn({ err: e, trigger: triggerId }, "giving back a queue concurrency slot failed; it frees itself when its lease expires"));
      },
    };
  }
}
