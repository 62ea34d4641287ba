/**
 * The leader lease: one control-plane replica at a time performs a cluster-wide duty (driving
 * rollouts, placing capacity; next firing cron triggers and retrying async invocations; consuming
 * one Stream trigger). Every duty
 * uses this one class on the StateStore's lease primitives, so they all behave alike:
 *
 * - named per duty and cluster: `hs:<cluster>:<duty>:leader` (the cluster namespace comes from the
 *   database, so environments that share a Redis never share a leader);
 * - a fencing token per acquisition, strictly larger than every earlier holder's: whoever receives a
 *   leader's writes (the deployments table, a runner's provisioning endpoint) refuses a token lower
 *   than one it has seen, so a deposed leader that has not noticed yet changes nothing;
 * - renewed well before the TTL runs out; a holder stops acting as leader as soon as its lease has
 *   expired locally, a renewal is refused (someone else took it), or the store stays unreachable
 *   past half the TTL, whichever comes first; it never waits for the store to tell it;
 * - released on stop, so another replica takes over at once instead of after the TTL.
 * It renews on its own timer after start(), or on the caller's schedule through hold().
 */
import type { Lease, StateStore } from "../state/state-store.ts";

/**
 * The cluster-wide duties a leader lease guards. Each is held independently of the others.
 * `stream:<triggerId>`: consuming one Stream trigger (platform/src/triggers/stream/stream-engine.ts).
 */
export type LeaderDuty = "rollouts" | "capacity" | "cron" | "async-retries" | "code-gc" | `stream:${string}`;

/**
 * The lease's name in the state store. `namespace` is the cluster's key prefix, `hs:<cluster id>:`
 * (clusterNamespace in platform/src/deployments). The rollouts name, `hs:<cluster>:rollouts:leader`,
 * is documented in the README and must not change: replicas of two versions have to agree on it
 * during a rolling upgrade.
 */
export function leaderLeaseName(namespace: string, duty: LeaderDuty): string {
  return `${namespace}${duty}:leader`;
}

export interface LeaderLeaseOptions {
  duty: LeaderDuty;
  /** The cluster's key prefix, `hs:<cluster id>:`. */
  namespace: string;
  /** Unique per process: a restarted process must not inherit its predecessor's lease. */
  holder: string;
  /** How long the lease lasts without renewal: a crashed leader is replaced within this plus `renewMs`. @default 5000 */
  ttlMs?: number;
  /** How often to renew (or, as a standby, try to acquire). Keep it at most a third of `ttlMs`. @default 1000 */
  renewMs?: number;
  /**
   * Fencing tokens continue above this number, for a lease that replaces an older one whose tokens
   * receivers have already seen (legacy-fleet-fence.ts). Read before each acquisition and after each
   * renewal: the token is the store's token plus the floor, and rises within a term when the floor
   * does, so a leader is never stuck below tokens the old lease keeps issuing during an upgrade.
   * The floor must only grow. @default none
   */
  tokenFloor?: () => Promise<number>;
  /** This replica became the leader: `token` fences what it does until onLost. Called synchronously as the term begins. */
  onAcquired?(token: number): void;
  /** This replica stopped being the leader (renewal refused, expired, store unreachable, dropped, or stopped). */
  onLost?(token: number, why: string): void;
  /** The store failed a renewal or acquisition; the lease keeps trying on its schedule. */
  onError?(e: unknown): void;
}

interface Term {
  lease: Lease;
  /** The fencing token this term presents: the store's token above the floor. */
  token: number;
}

export class LeaderLease {
  /** The key of this duty's lease in the state store. */
  readonly name: string;
  readonly ttlMs: number;
  private readonly renewMs: number;
  private term: Term | undefined;
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly state: StateStore,
    private readonly opts: LeaderLeaseOptions,
  ) {
    this.name = leaderLeaseName(opts.namespace, opts.duty);
    this.ttlMs = opts.ttlMs ?? 5000;
    this.renewMs = opts.renewMs ?? 1000;
  }

  /** Try to acquire now, then keep renewing (or retrying) every `renewMs` until stop(). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.hold();
    if (this.stopped) return;
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.hold(), this.renewMs);
    this.timer.unref();
  }

  /** True while this replica holds an unexpired lease. */
  isLeader(): boolean {
    return this.term !== undefined && this.term.lease.expiresAt > Date.now();
  }

  /** The fencing token of the held lease; undefined when this replica is not (or no longer) the leader. */
  get token(): number | undefined {
    return this.isLeader() ? this.term!.token : undefined;
  }

  /**
   * Renew (or, as a standby, try to acquire) now; passes never overlap, a call during one joins it.
   * Resolves once the pass is done; isLeader() then says the outcome. A duty with a loop of its own
   * (the rollout orchestrator's ticks) may call this on each tick instead of start(): the lease then
   * lives exactly as long as the loop keeps running. Never rejects (errors go to onError).
   */
  hold(): Promise<void> {
    this.passing ??= this.pass().finally(() => (this.passing = undefined));
    return this.passing;
  }

  /**
   * Renew now, before a write only the leader may make. False when the lease is gone (this replica
   * then stops acting as leader at once). A store error rejects and leaves the lease as it was.
   */
  async confirm(): Promise<boolean> {
    const term = this.term;
    if (term === undefined || this.stopped || !this.isLeader()) return false;
    const renewed = await this.state.renewLease(term.lease, this.ttlMs);
    if (this.term !== term) return this.isLeader();
    if (renewed === null) {
      this.lose("the lease was taken over before a leader-only write");
      return false;
    }
    term.lease = renewed;
    return true;
  }

  /**
   * Stop acting as the leader without releasing the lease: the caller learned from elsewhere that a
   * newer leader exists (a fenced write was refused). The next pass tries to acquire it again.
   */
  drop(why: string): void {
    this.lose(why);
  }

  /** Stop renewing and give the lease up, so another replica takes over at once instead of after the TTL. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.passing;
    const term = this.term;
    this.lose("stopped");
    if (term) await this.state.releaseLease(term.lease).catch(() => false);
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    const term = this.term;
    try {
      if (term !== undefined && term.lease.expiresAt <= Date.now()) {
        // Expired before a renewal got through: it may be someone else's by now. Start a new term.
        this.lose("the lease expired before it was renewed");
      } else if (term !== undefined) {
        const renewed = await this.state.renewLease(term.lease, this.ttlMs);
        if (this.term !== term) return; // dropped or stopped meanwhile: the answer is stale
        if (renewed === null) {
          this.lose("renewal refused: another replica holds the lease");
          return;
        }
        term.lease = renewed;
        if (this.opts.tokenFloor) term.token = Math.max(term.token, (await this.opts.tokenFloor()) + renewed.token);
        return;
      }
      await this.acquire();
    } catch (e) {
      this.opts.onError?.(e);
      // Unsure whether it is still ours: stop acting before the lease could lapse unnoticed.
      if (this.term !== undefined && this.term === term && term.lease.expiresAt <= Date.now() + this.ttlMs / 2) {
        this.lose("the state store did not answer the renewal");
      }
    }
  }

  private async acquire(): Promise<void> {
    // Read before acquiring: a floor that can only grow, read earlier than the acquisition, keeps a
    // later term's token above an earlier one's (as long as the floor stops moving, see tokenFloor).
    const floor = (await this.opts.tokenFloor?.()) ?? 0;
    const lease = await this.state.acquireLease(this.name, this.opts.holder, this.ttlMs);
    if (lease === null) return;
    if (this.stopped) {
      // stop() began while this was on its way (it waits for this pass): hand the lease straight back.
      await this.state.releaseLease(lease).catch(() => false);
      return;
    }
    this.term = { lease, token: lease.token + floor };
    this.opts.onAcquired?.(this.term.token);
  }

  private lose(why: string): void {
    const term = this.term;
    if (term === undefined) return;
    this.term = undefined;
    this.opts.onLost?.(term.token, why);
  }
}
