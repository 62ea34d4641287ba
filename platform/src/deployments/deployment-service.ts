/**
 * Deployments as the API sees them: create (validation, one active deployment per alias, the
 * onConflict "cancel" path), list, view (with per-version metric windows and events), and the
 * pause/resume/promote/rollback commands. Commands are not applied here: they are queued on the
 * deployment row for the rollout leader (the single writer of rollout state, on whichever replica
 * holds the lease), which is woken at once; the call waits briefly to report the outcome.
 * A deployment to a protected alias is created PendingApproval; approve and reject record the
 * decision (approve moves it to Pending for the leader to start; the leader fails a rejected one).
 */
import { ApiError } from "../../../protocol/errors.ts";
import type { Deployment, DeploymentEventInput, DeploymentPatch, Repositories } from "../db/index.ts";
import { ACTIVE_DEPLOYMENT_STATUSES } from "../db/repositories/deployments.ts";
import type { DeploymentCommand, DeploymentStatus, JsonObject } from "../db/schema.ts";
import { functionNotFound, type Actor, type FunctionService } from "../functions/function-service.ts";
import { versionNotFound } from "../functions/version-service.ts";
import type { MetricsReader, WindowStats } from "../metrics/metrics-reader.ts";
import { formatIssues } from "../api/openapi.ts";
import { intervalMs } from "./rollout-analysis.ts";
import { STRATEGY_CONFIGS, type CreateDeploymentBody, type DeploymentStrategy } from "../../../protocol/api/deployments.ts";
import { toSummary, toView } from "./views.ts";
import { deploymentActor } from "./transitions.ts";
import { aliasBeforeOf, weightsOf } from "./plan.ts";
import type { AliasState } from "../functions/alias-service.ts";
import { approvalOf, approvalRequest, assertDecidable, DEFAULT_APPROVAL_TIMEOUT_MS } from "./approval.ts";
import { sealAnalysisToken, type TokenBox } from "./prometheus-token.ts";

export type CommandAction = DeploymentCommand["action"];

export interface DeploymentServiceDeps {
  repos: Repositories;
  functions: FunctionService;
  metrics: MetricsReader;
  /** Wake the rollout leader, wherever it runs. */
  wake(): Promise<void>;
  now?: () => number;
  /** How long a command call waits for the leader to apply it before answering 202. @default 10000 */
  commandWaitMs?: number;
  /** HOTSWAP_APPROVAL_TIMEOUT: how long a deployment to a protected alias may wait for approval. @default 24 h */
  approvalTimeoutMs?: number;
  /** Seals analysis.prometheus.bearerToken before it is stored (prometheus-token.ts). */
  box?: TokenBox;
}

const ALLOWED: Record<CommandAction, DeploymentStatus[]> = {
  pause: ["Pending", "InProgress"],
  resume: ["Paused"],
  // Never PendingApproval: promoting would skip the approval. Rolling back withdraws it.
  promote: ["Pending", "InProgress", "Paused"],
  rollback: ACTIVE_DEPLOYMENT_STATUSES,
};

export function deploymentNotFound(id: string): ApiError {
  return new ApiError("DeploymentNotFound", `Deployment "${id}" does not exist. List deployments with GET /api/v1/deployments.`);
}

/** Validate a strategy's config; returns it with defaults applied. Throws ValidationError naming the field. */
export function parseStrategyConfig(strategy: DeploymentStrategy, config: Record<string, unknown>): JsonObject {
  const schema = STRATEGY_CONFIGS[strategy];
  const allowed = Object.keys(schema.shape);
  for (const key of Object.keys(config)) {
    if (!allowed.includes(key)) {
      const takes = allowed.length > 0 ? `it takes ${allowed.join(", ")}` : "it takes no config";
      throw new ApiError("ValidationError", `body field "config.${key}" does not apply to strategy "${strategy}"; ${takes}.`);
    }
  }
  const parsed = schema.safeParse(config);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ ...i, path: ["config", ...i.path] }));
    throw new ApiError("ValidationError", `${formatIssues(issues, "body")} (strategy "${strategy}")`);
  }
  return parsed.data as JsonObject;
}

export class DeploymentService {
  private readonly now: () => number;

  constructor(private readonly deps: DeploymentServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async create(body: CreateDeploymentBody, actor: Actor) {
    const { repos } = this.deps;
    const analysis = this.deps.box ? sealAnalysisToken(body.analysis, body.functionName, this.deps.box) : body.analysis;
    const config = parseStrategyConfig(body.strategy, body.config);
    const fn = body.functionName;
    await this.deps.functions.require(fn);
    const versions = new Set((await repos.versions.list(fn)).map((v) => v.version));
    if (!versions.has(body.version)) throw versionNotFound(fn, body.version, 400);
    const current = await this.checkAlias(body);
    for (const [hook, ref] of Object.entries(body.hooks)) {
      if (ref && !(await repos.functions.get(ref.functionName))) {
        throw new ApiError("ValidationError", `body field "hooks.${hook}": function "${ref.functionName}" does not exist. Create the hook function first.`);
      }
    }
    const input = {
      functionName: fn,
      alias: body.alias,
      fromVersion: null,
      toVersion: body.version,
      strategy: body.strategy,
      config,
      analysis: analysis as JsonObject,
      hooks: body.hooks as JsonObject,
      status: "Pending" as const,
      phase: "pending",
      currentWeights: weightsOf(current),
      createdBy: actor.id,
      // Used when the alias, read under the lock, is protected: the deployment then waits for approval.
      approvalIfProtected: approvalRequest(actor.id, this.now(), this.deps.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS),
    };
    let result = await repos.deployments.createExclusive(input);
    if ("conflict" in result && body.onConflict === "cancel") {
      await this.cancel(result.conflict, body.version, actor);
      result = await repos.deployments.createExclusive(input);
    }
    if ("functionMissing" in result) throw functionNotFound(fn);
    if ("conflict" in result) {
      const c = result.conflict;
      throw new ApiError(
        "DeploymentConflict",
        `Deployment ${c.id} (${c.strategy} to version ${c.toVersion}, ${c.status}) is already active on alias "${body.alias}" of "${fn}". ` +
          `Wait for it, promote or roll it back, or send onConflict: "cancel" to roll it back and start this one.`,
        { deploymentId: c.id },
      );
    }
    const d = result.created;
    const approval = d.status === "PendingApproval" ? approvalOf(d) : null;
    const waits = approval ? `; alias "${d.alias}" is protected: it waits until ${approval.expiresAt} for approval by ${approval.approvers}` : "";
    await repos.deployments.appendEvent(d.id, {
      type: "created",
      toStatus: d.status,
      weights: weightsOf(aliasBeforeOf(d)),
      reason: `created by ${actor.id}: ${d.strategy} from version ${d.fromVersion ?? "(none)"} to ${d.toVersion}${waits}`,
      data: { aliasBefore: d.aliasBefore, ...(approval ? { approval } : {}) },
    });
    await repos.auditLogs.append({
      actor: actor.id,
      action: "deployment.create",
      resourceType: "deployment",
      resourceId: d.id,
      before: null,
      after: toSummary(d),
      requestId: actor.requestId ?? null,
    });
    await this.deps.wake();
    return toSummary(d);
  }

  async list(q: { functionName?: string; alias?: string; status?: DeploymentStatus }) {
    return (await this.deps.repos.deployments.list(q)).map(toSummary);
  }

  async get(id: string) {
    const d = await this.require(id);
    const [events, audit, metrics] = await Promise.all([
      this.deps.repos.deployments.listEvents(id),
      this.deps.repos.auditLogs.list({ resourceType: "alias", resourceId: `${d.functionName}:${d.alias}`, limit: 500 }),
      this.metricsOf(d),
    ]);
    const mine = audit.filter((a) => a.actor === deploymentActor(d.id).id).reverse();
    return toView(d, events, mine, metrics);
  }

  /** Queue a command for the leader and wait (bounded) for it. `applied` false means still queued (202). */
  async command(id: string, action: CommandAction, reason: string | undefined, actor: Actor) {
    const { repos } = this.deps;
    const at = new Date(this.now()).toISOString();
    const cmd: DeploymentCommand = { action, reason: reason ?? "", actor: actor.id, at };
    let d = await this.require(id);
    // Queue it only while the status allows it and no other command waits; re-check if the row moved.
    for (let attempt = 0; ; attempt++) {
      if (d.command) {
        throw new ApiError("DeploymentConflict", `A ${d.command.action} request on deployment ${id} is still being applied; retry in a moment.`);
      }
      this.assertAllowed(d, action);
      const queued = await repos.deployments.update(
        id,
        { command: cmd },
        { type: "command", reason: `${action} requested by ${actor.id}${reason ? `: ${reason}` : ""}` },
        { status: ALLOWED[action], noCommand: true },
      );
      if (queued) break;
      if (attempt === 2) throw new ApiError("DeploymentConflict", `Deployment ${id} kept changing; retry the ${action}.`);
      d = await this.require(id);
    }
    await repos.auditLogs.append({
      actor: actor.id,
      action: `deployment.${action}`,
      resourceType: "deployment",
      resourceId: id,
      before: toSummary(d),
      after: { command: cmd },
      requestId: actor.requestId ?? null,
    });
    await this.deps.wake();
    const settled = await this.waitFor(id, (x) => x.command === null || !ACTIVE_DEPLOYMENT_STATUSES.includes(x.status));
    if (!settled) return { applied: false, deployment: toSummary(await this.require(id)) };
    const events = await repos.deployments.listEvents(id);
    const rejected = events.find((e) => e.type === "command-rejected" && e.data?.commandAt === at);
    if (rejected) throw new ApiError("DeploymentConflict", `Deployment ${id}: ${rejected.reason}`);
    return { applied: true, deployment: toSummary(settled) };
  }

  /**
   * Approve a deployment waiting for approval: it becomes Pending and the leader starts it. Only a
   * principal holding deployments:approve other than the requester may (assertDecidable).
   */
  async approve(id: string, actor: Actor) {
    const d = await this.require(id);
    const a = assertDecidable(d, "approve", actor, this.now());
    const approval = { ...a, approvedBy: actor.id, approvedAt: new Date(this.now()).toISOString() };
    const approved = await this.decide(d, { status: "Pending", approval }, {
      type: "approved",
      fromStatus: "PendingApproval",
      toStatus: "Pending",
      reason: `approved by ${actor.id} (requested by ${a.requestedBy})`,
      data: { approval },
    });
    await this.auditDecision("deployment.approve", d, approved, actor);
    await this.deps.wake();
    return toSummary(approved);
  }

  /**
   * Reject a deployment waiting for approval: the decision is recorded here and the leader fails the
   * deployment (alias untouched); waits briefly for that like a command. `applied` false: not yet.
   */
  async reject(id: string, reason: string, actor: Actor) {
    const d = await this.require(id);
    const a = assertDecidable(d, "reject", actor, this.now());
    const approval = { ...a, rejectedBy: actor.id, rejectedAt: new Date(this.now()).toISOString(), reason };
    const rejected = await this.decide(d, { approval }, { type: "rejected", reason: `rejected by ${actor.id}: ${reason}`, data: { approval } });
    await this.auditDecision("deployment.reject", d, rejected, actor);
    await this.deps.wake();
    const settled = await this.waitFor(id, (x) => x.status !== "PendingApproval");
    return settled ? { applied: true, deployment: toSummary(settled) } : { applied: false, deployment: toSummary(await this.require(id)) };
  }

  /** Write a decision while the deployment still waits for one; 409 naming its status when it moved meanwhile. */
  private async decide(d: Deployment, patch: DeploymentPatch, event: DeploymentEventInput): Promise<Deployment> {
    const written = await this.deps.repos.deployments.update(d.id, patch, event, { status: ["PendingApproval"], noCommand: true });
    if (written) return written;
    const now = await this.require(d.id);
    throw new ApiError("DeploymentConflict", `Deployment ${d.id} changed meanwhile: it is ${now.status}${now.command ? ` with a ${now.command.action} request waiting` : ""}.`, {
      status: now.status,
    });
  }

  private async auditDecision(action: string, before: Deployment, after: Deployment, actor: Actor): Promise<void> {
    await this.deps.repos.auditLogs.append({
      actor: actor.id,
      action,
      resourceType: "deployment",
      resourceId: before.id,
      before: toSummary(before),
      after: toSummary(after),
      requestId: actor.requestId ?? null,
    });
  }

  private assertAllowed(d: Deployment, action: CommandAction): void {
    if (!ACTIVE_DEPLOYMENT_STATUSES.includes(d.status)) {
      throw new ApiError("DeploymentConflict", `Deployment ${d.id} already finished (${d.status}${d.reason ? `: ${d.reason}` : ""}); there is nothing to ${action}.`);
    }
    if (d.status === "PendingApproval" && !ALLOWED[action].includes(d.status)) {
      throw new ApiError(
        "DeploymentConflict",
        `Cannot ${action} deployment ${d.id}: it waits for approval (until ${approvalOf(d)?.expiresAt ?? "its approval expires"}). ` +
          `Have it approved (POST /api/v1/deployments/${d.id}/approve) or withdraw it (POST /api/v1/deployments/${d.id}/rollback).`,
      );
    }
    if (!ALLOWED[action].includes(d.status)) {
      throw new ApiError("DeploymentConflict", `Cannot ${action} deployment ${d.id}: it is ${d.status}; ${action} applies to ${ALLOWED[action].join(" or ")} deployments.`);
    }
  }

  /** Refuse aliases a deployment cannot start from; returns the alias as it is now. */
  private async checkAlias(body: CreateDeploymentBody): Promise<AliasState | null> {
    const a = await this.deps.repos.aliases.get(body.functionName, body.alias);
    if (!a && body.strategy !== "Direct") {
      throw new ApiError(
        "ValidationError",
        `Alias "${body.alias}" of function "${body.functionName}" does not exist, so a ${body.strategy} deployment has no current version to shift traffic from. ` +
          `Create it first (PUT /api/v1/functions/${body.functionName}/aliases/${body.alias}) or use strategy "Direct".`,
      );
    }
    const split = a && (Object.values(a.routingConfig.additionalVersionWeights).some((w) => w > 0) || a.routingConfig.abTest);
    if (a && a.version === body.version && !split) {
      throw new ApiError("ValidationError", `Alias "${body.alias}" of function "${body.functionName}" already sends all traffic to version ${body.version}; there is nothing to deploy.`);
    }
    return a ? { version: a.version, routingConfig: a.routingConfig, description: a.description } : null;
  }

  /** onConflict "cancel": roll the active deployment back and wait until it has finished. */
  private async cancel(active: Deployment, version: number, actor: Actor): Promise<void> {
    const reason = `cancelled by a new deployment of version ${version} (onConflict: "cancel")`;
    if (!active.command) {
      await this.deps.repos.deployments.update(
        active.id,
        { command: { action: "rollback", reason, actor: actor.id, at: new Date(this.now()).toISOString() } },
        { type: "command", reason: `rollback requested by ${actor.id}: ${reason}` },
        { status: ACTIVE_DEPLOYMENT_STATUSES, noCommand: true },
      );
    }
    await this.deps.wake();
    const done = await this.waitFor(active.id, (x) => !ACTIVE_DEPLOYMENT_STATUSES.includes(x.status), 15_000);
    if (!done) {
      throw new ApiError("DeploymentConflict", `Deployment ${active.id} is active on the alias and did not finish rolling back in time; retry shortly.`, {
        deploymentId: active.id,
      });
    }
  }

  private async waitFor(id: string, done: (d: Deployment) => boolean, timeoutMs = this.deps.commandWaitMs ?? 10_000): Promise<Deployment | undefined> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const d = await this.deps.repos.deployments.get(id);
      if (!d) throw deploymentNotFound(id);
      if (done(d)) return d;
      if (Date.now() >= until) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The function a deployment belongs to (DeploymentNotFound otherwise): what a function scope is checked against. */
  async functionOf(id: string): Promise<string> {
    return (await this.require(id)).functionName;
  }

  private async require(id: string): Promise<Deployment> {
    const d = await this.deps.repos.deployments.get(id);
    if (!d) throw deploymentNotFound(id);
    return d;
  }

  private async metricsOf(d: Deployment) {
    const w = intervalMs(d);
    const end = d.finishedAt?.getTime() ?? this.now();
    const versions = [...new Set([d.fromVersion, d.toVersion].filter((v): v is number => v !== null))];
    const current: Record<string, WindowStats> = {};
    const previous: Record<string, WindowStats> = {};
    await Promise.all(
      versions.flatMap((v) => [
        this.deps.metrics.stats(d.functionName, v, end - w, end).then((s) => (current[String(v)] = s)),
        this.deps.metrics.stats(d.functionName, v, end - 2 * w, end - w).then((s) => (previous[String(v)] = s)),
      ]),
    );
    return { windowSeconds: w / 1000, current, previous };
  }
}
