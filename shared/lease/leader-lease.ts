/**
 * The fleet leader lease: one control-plane replica at a time makes the cluster-wide fleet
 * decisions (placing provisioned concurrency, scheduled minimums, keep-warm, the runner_nodes
 * mirror). Held in the state store with a TTL and renewed well before it runs out; its fencing
 * token goes with every command, and runners ignore tokens lower than one they have seen, so a
 * replica that lost the lease without knowing it cannot undo the new leader's work.
 */
import type { Lease, StateStore } from "../state/state-store.ts";
import { FLEET_LEADER_LEASE } from "../../protocol/fleet.ts";

export interface LeaderLeaseOptions {
  holder: string;
  /** @default 5000 */
  ttlMs?: number;
  /** How often to renew (or try to acquire). @default 1000 */
  renewMs?: number;
  onChange?(leader: boolean): void;
  onError?(e: unknown): void;
}

export class LeaderLease {
  private lease: Lease | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly ttlMs: number;

  constructor(
    private readonly state: StateStore,
    private readonly opts: LeaderLeaseOptions,
  ) {
    this.ttlMs = opts.ttlMs ?? 5000;
  }

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.opts.renewMs ?? 1000);
    this.timer.unref();
  }

  /** Give the lease up so another replica takes over at once instead of after the TTL. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    const held = this.lease;
    this.set(undefined);
    if (held) await this.state.releaseLease(held).catch(() => {});
  }

  /** True while this replica holds an unexpired lease. */
  isLeader(): boolean {
    return this.lease !== undefined && this.lease.expiresAt > Date.now();
  }

  /** The fencing token of the held lease. */
  get token(): number | undefined {
    return this.isLeader() ? this.lease!.token : undefined;
  }

  private tick(): Promise<void> {
    this.ticking ??= (async () => {
      try {
        const next = this.lease ? await this.state.renewLease(this.lease, this.ttlMs) : await this.state.acquireLease(FLEET_LEADER_LEASE, this.opts.holder, this.ttlMs);
        this.set(next ?? undefined);
      } catch (e) {
        this.opts.onError?.(e);
        // Unsure whether it is still ours: act as a follower until a renewal succeeds.
        if (this.lease && this.lease.expiresAt <= Date.now() + this.ttlMs / 2) this.set(undefined);
      }
    })().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private set(lease: Lease | undefined): void {
    const was = this.lease !== undefined;
    this.lease = lease;
    if (was !== (lease !== undefined)) this.opts.onChange?.(lease !== undefined);
  }
}
