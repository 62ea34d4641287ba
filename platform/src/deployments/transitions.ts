/**
 * Every write the rollout leader makes: deployment state (fenced by the leader lease's token, with
 * its event in the same transaction) and the alias (through AliasService, so the audit log and
 * routing invalidation happen, as actor `deployment:<id>`).
 *
 * Order of writes: the deployment row first, then the alias. A leader that dies between the two
 * leaves a row whose phase/step says what the alias should be; the next leader re-derives that
 * alias from the plan (reconcile) and writes it. A deposed leader's row write fails on the fence
 * before it reaches the alias, and the leadership is confirmed again right before each alias write.
 */
import type { Deployment, DeploymentEventInput, DeploymentPatch, Repositories } from "../db/index.ts";
import type { DeploymentStatus } from "../db/schema.ts";
import type { AliasService, AliasState } from "../functions/alias-service.ts";
import {
  aliasBeforeOf,
  aliasStateFor,
  planOf,
  progressOf,
  plannedShare,
  sameAliasState,
  weightsOf,
  type Phase,
  type PlanFacts,
} from "./plan.ts";

/** Thrown when this process is no longer the rollout leader; the step is abandoned. */
export class LeadershipLost extends Error {
  override readonly name = "LeadershipLost";
}

export interface Leadership {
  /** The current fencing token; throws LeadershipLost when not leading. */
  token(): number;
  /** Renew the lease now; throws LeadershipLost when it is gone. */
  confirm(): Promise<void>;
}

export function deploymentActor(id: string): { id: string } {
  return { id: `deployment:${id}` };
}

export interface MoveOptions {
  status?: DeploymentStatus;
  reason: string;
  plan?: PlanFacts;
  /** Extra columns written with the move (e.g. clearing a command). */
  patch?: DeploymentPatch;
  data?: Record<string, unknown>;
}

export class Transitions {
  constructor(
    private readonly repos: Repositories,
    private readonly aliases: AliasService,
    private readonly leadership: Leadership,
    private readonly now: () => number,
    /** Told of every deployment that reached a terminal status (the Prometheus deployment counters). */
    private readonly onFinished: (d: Deployment, status: "Succeeded" | "RolledBack" | "Failed") => void = () => {},
  ) {}

  /** Fenced update of the deployment row with its event. */
  async write(d: Deployment, patch: DeploymentPatch, event?: DeploymentEventInput): Promise<Deployment> {
    return (await this.writeIf(d, patch, event))!;
  }

  /**
   * write() that, given `expect`, applies only while the deployment's status is one of those: null
   * (nothing written) when the API moved it meanwhile (an approval), so the caller steps it again.
   */
  private async writeIf(d: Deployment, patch: DeploymentPatch, event?: DeploymentEventInput, expect?: DeploymentStatus[]): Promise<Deployment | null> {
    const token = this.leadership.token();
    const updated = await this.repos.deployments.update(d.id, patch, event, { fenceToken: token, ...(expect ? { status: expect } : {}) });
    if (updated) return updated;
    if (expect) {
      const now = await this.repos.deployments.get(d.id);
      if (now && !expect.includes(now.status)) return null;
    }
    throw new LeadershipLost(`deployment ${d.id} was written by a newer leader (this leader's fencing token ${token} is stale) or deleted`);
  }

  /**
   * Record this leader's fencing token on the row without changing anything else. A new leader
   * claims each deployment before acting on it, so a deposed leader's next write is refused.
   */
  async claim(d: Deployment): Promise<Deployment> {
    return this.write(d, {});
  }

  /** Record an event without changing state. */
  async note(d: Deployment, event: DeploymentEventInput): Promise<void> {
    this.leadership.token();
    await this.repos.deployments.appendEvent(d.id, event);
  }

  /**
   * Enter a phase/step: persist it with its planned weights, then apply the planned alias if it
   * differs from the one the previous phase planned.
   */
  async moveTo(d: Deployment, phase: Phase, step: number, o: MoveOptions): Promise<Deployment> {
    const plan: PlanFacts = { ...planOf(d), ...o.plan };
    const draft = { ...d, plan: plan as Record<string, unknown> };
    if (plannedShare(draft, phase, step) > 0 && plan.trafficStartedAt === undefined) plan.trafficStartedAt = this.now();
    const state = aliasStateFor(draft, phase, step);
    const weights = weightsOf(state);
    const status = o.status ?? d.status;
    const next = await this.write(
      d,
      {
        ...o.patch,
        status,
        phase,
        step,
        phaseStartedAt: new Date(this.now()),
        currentWeights: weights,
        progress: progressOf(draft, phase, step),
        plan: plan as Record<string, unknown>,
      },
      {
        type: status !== d.status ? "transition" : "phase",
        fromStatus: status !== d.status ? d.status : null,
        toStatus: status !== d.status ? status : null,
        weights,
        reason: o.reason,
        data: { phase, step, ...o.data },
      },
    );
    if (!sameAliasState(aliasStateFor(d, d.phase, d.step), state)) await this.applyAlias(next, state);
    return next;
  }

  /** Terminal status: Succeeded, RolledBack or Failed. */
  async finish(d: Deployment, status: "Succeeded" | "RolledBack" | "Failed", reason: string, patch: DeploymentPatch = {}): Promise<Deployment> {
    return (await this.finishIf(d, status, reason, patch))!;
  }

  /**
   * Fail a deployment that waited for approval in vain (rejected or expired); its alias was never
   * touched. Null when it was approved meanwhile.
   */
  async failUnapproved(d: Deployment, reason: string, patch: DeploymentPatch = {}): Promise<Deployment | null> {
    return this.finishIf(d, "Failed", reason, patch, ["PendingApproval"]);
  }

  private async finishIf(d: Deployment, status: "Succeeded" | "RolledBack" | "Failed", reason: string, patch: DeploymentPatch, expect?: DeploymentStatus[]): Promise<Deployment | null> {
    const finalWeights = status === "Succeeded" ? { [String(d.toVersion)]: 1 } : weightsOf(aliasBeforeOf(d));
    const finished = await this.writeIf(
      d,
      {
        ...patch,
        status,
        phase: "done",
        step: 0,
        progress: status === "Succeeded" ? 100 : 0,
        currentWeights: finalWeights,
        reason,
        finishedAt: new Date(this.now()),
        pausedAt: null,
        command: null,
      },
      { type: "transition", fromStatus: d.status, toStatus: status, weights: finalWeights, reason },
      expect,
    );
    if (finished) this.onFinished(finished, status);
    return finished;
  }

  /**
   * Roll back (or fail): record the intent first (phase rolling-back / failing), restore the alias
   * exactly as it was before the deployment, then finish. A leader that dies midway resumes from
   * the intent.
   */
  async abort(d: Deployment, status: "RolledBack" | "Failed", reason: string, o: { patch?: DeploymentPatch; data?: Record<string, unknown> } = {}): Promise<Deployment> {
    let cur = d;
    const phase = status === "RolledBack" ? "rolling-back" : "failing";
    if (cur.phase !== phase) {
      cur = await this.write(cur, { ...o.patch, phase, reason }, { type: status === "RolledBack" ? "rollback" : "failure", reason, data: o.data ?? null });
    }
    await this.restore(cur);
    return this.finish(cur, status, cur.reason ?? reason);
  }

  /** Put the alias back exactly as it was before the deployment (no write when it already is). */
  async restore(d: Deployment): Promise<void> {
    const before = aliasBeforeOf(d);
    if (!sameAliasState(await this.readAlias(d), before)) await this.applyAlias(d, before);
  }

  /** Re-apply the planned alias if it differs (after a leader change). True when it wrote. */
  async reconcile(d: Deployment): Promise<boolean> {
    const planned = aliasStateFor(d, d.phase, d.step);
    const current = await this.readAlias(d);
    if (sameAliasState(current, planned)) return false;
    await this.note(d, {
      type: "reconciled",
      weights: weightsOf(planned),
      reason: `the alias (${JSON.stringify(weightsOf(current))}) differed from the weights planned for phase ${d.phase} step ${d.step}; re-applied the plan`,
    });
    await this.applyAlias(d, planned);
    return true;
  }

  async readAlias(d: Deployment): Promise<AliasState | null> {
    const a = await this.repos.aliases.get(d.functionName, d.alias);
    return a ? { version: a.version, routingConfig: a.routingConfig, description: a.description } : null;
  }

  private async applyAlias(d: Deployment, state: AliasState | null): Promise<void> {
    await this.leadership.confirm();
    await this.aliases.applyState(d.functionName, d.alias, state, deploymentActor(d.id));
  }
}
