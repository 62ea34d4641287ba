/**
 * The rollout orchestrator: every control-plane replica runs one, and the one holding the
 * `rollouts` leader lease (shared/lease, `hs:<cluster>:rollouts:leader`) drives every active
 * deployment. It ticks every ~250 ms: renew (or try to take) the lease, list the active
 * deployments from the database, and step each one that is not already being stepped; every
 * deployment write carries the lease's fencing token. The ticks drive the lease (it runs no timer
 * of its own here), so a leader that stops ticking stops renewing. Nothing about a deployment lives
 * only in memory, so a new leader (after a crash, within the lease TTL plus a tick) resumes each
 * deployment where its persisted phase and step say it is. The API wakes the leader through
 * pub/sub for a prompt reaction.
 */
import type { Repositories } from "../db/index.ts";
import { ACTIVE_DEPLOYMENT_STATUSES } from "../db/repositories/deployments.ts";
import type { StateStore, Unsubscribe } from "../../../shared/state/state-store.ts";
import { LeaderLease } from "../../../shared/lease/leader-lease.ts";
import type { DeploymentDriver } from "./driver.ts";
import { LeadershipLost, type Leadership } from "./transitions.ts";

export interface OrchestratorLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OrchestratorOptions {
  /** Scopes the lease and wake channel to this database's cluster. */
  namespace: string;
  /** Unique per process. */
  holder: string;
  /** Tick period while deployments are active. @default 250 */
  tickMs?: number;
  /**
   * Tick period while none is: starting one wakes the orchestrator at once, so this only bounds
   * lease renewal and how soon a standby notices a dead leader. @default 1000 (at most a third of the lease TTL)
   */
  idleTickMs?: number;
  /** @default 3000: a dead leader is replaced within this plus an idle tick. */
  leaseTtlMs?: number;
  /** Most steps of one deployment in a row before yielding to the next tick. @default 8 */
  maxStepsPerTick?: number;
  log: OrchestratorLog;
}

export function wakeChannel(namespace: string): string {
  return `${namespace}deployments:wake`;
}

export class RolloutOrchestrator implements Leadership {
  private readonly lease: LeaderLease;
  private readonly driving = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private unsubscribe: Unsubscribe | undefined;
  private readonly tickMs: number;
  private readonly idleTickMs: number;
  /** The last tick found nothing to drive. */
  private idle = false;

  constructor(
    private readonly repos: Repositories,
    private readonly state: StateStore,
    private readonly driver: DeploymentDriver,
    private readonly opts: OrchestratorOptions,
  ) {
    this.tickMs = opts.tickMs ?? 250;
    const ttlMs = opts.leaseTtlMs ?? 3000;
    this.idleTickMs = opts.idleTickMs ?? Math.max(this.tickMs, Math.min(1000, Math.floor(ttlMs / 3)));
    this.lease = new LeaderLease(state, {
      duty: "rollouts",
      namespace: opts.namespace,
      holder: opts.holder,
      ttlMs,
      onAcquired: (token) => {
        // A new term: every deployment's alias is reconciled against its plan before it moves on.
        this.driver.resetTerm();
        this.opts.log.info({ holder: this.opts.holder, token }, "became the rollout leader");
      },
      onLost: (token, why) => {
        if (!this.stopped) this.opts.log.warn({ holder: this.opts.holder, token, why }, "lost the rollout leader lease");
      },
      onError: (e) => {
        if (!this.stopped) this.opts.log.warn({ err: e }, "rollout leader lease renewal failed");
      },
    });
  }

  /** The lease's key in the state store: `hs:<cluster>:rollouts:leader`. */
  get leaseName(): string {
    return this.lease.name;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.state.subscribe(wakeChannel(this.opts.namespace), () => this.wake());
    this.schedule(0);
  }

  /** Tick now (coalesced with a tick in progress). */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) this.again = true;
    else this.schedule(0);
  }

  isLeader(): boolean {
    return this.lease.isLeader();
  }

  token(): number {
    const token = this.lease.token;
    if (token === undefined || this.stopped) throw new LeadershipLost("this control plane is not the rollout leader");
    return token;
  }

  async confirm(): Promise<void> {
    if (!this.lease.isLeader() || this.stopped) throw new LeadershipLost("this control plane is not the rollout leader");
    if (!(await this.lease.confirm())) throw new LeadershipLost("the rollout leader lease was lost");
  }

  /** Stop ticking, let steps in progress finish (bounded), and hand the lease over. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.unsubscribe?.().catch(() => {});
    const settle = Promise.allSettled([this.ticking, ...this.driving.values()]);
    await Promise.race([settle, new Promise((r) => setTimeout(r, graceMs).unref())]);
    await this.lease.stop();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.ticking) return;
    this.ticking = this.runTick();
    try {
      await this.ticking;
    } finally {
      this.ticking = undefined;
      const soon = this.again;
      this.again = false;
      this.schedule(soon ? 0 : this.idle ? this.idleTickMs : this.tickMs);
    }
  }

  private async runTick(): Promise<void> {
    try {
      this.idle = false;
      // After a drop (a fenced write was refused) this starts a new term with a larger token: a
      // leader whose tokens fell behind the database's climbs at the tick rate.
      await this.lease.hold();
      if (!this.lease.isLeader() || this.stopped) {
        this.idle = true; // a standby: it only watches the lease
        return;
      }
      const active = await this.repos.deployments.list({ status: ACTIVE_DEPLOYMENT_STATUSES, limit: 1000 });
      // Deployments waiting for approval need no fast ticks: approving wakes the leader, and expiry is coarse.
      this.idle = active.every((d) => d.status === "PendingApproval") && this.driving.size === 0;
      for (const d of active) {
        if (this.driving.has(d.id)) continue;
        const run = this.drive(d.id, d).finally(() => this.driving.delete(d.id));
        this.driving.set(d.id, run);
      }
    } catch (e) {
      if (!this.stopped) this.opts.log.warn({ err: e }, "rollout tick failed");
    }
  }

  private async drive(id: string, first: Parameters<DeploymentDriver["step"]>[0]): Promise<void> {
    let d: typeof first | undefined = first;
    try {
      for (let i = 0; d && i < (this.opts.maxStepsPerTick ?? 8) && !this.stopped; i++) {
        if (!ACTIVE_DEPLOYMENT_STATUSES.includes(d.status)) {
          this.driver.forget(id);
          return;
        }
        d = await this.driver.step(d);
      }
      if (d && !ACTIVE_DEPLOYMENT_STATUSES.includes(d.status)) this.driver.forget(id);
      else if (d) this.wake();
    } catch (e) {
      if (e instanceof LeadershipLost) {
        this.opts.log.warn({ deploymentId: id, err: e.message }, "stopped driving a deployment: no longer the leader");
        this.lease.drop(e.message);
      } else {
        this.opts.log.error({ deploymentId: id, err: e }, "deployment step failed; retrying on the next tick");
      }
    }
  }
}
