/**
 * Deployments repository: the persisted rollout state machine and its event history.
 * The orchestrator owns the transitions; this module stores them. A state change and its
 * event can be written in one transaction (update with `event`), so history never drifts.
 * Guarded updates carry the leader's fencing token or expected state, so a deposed leader or
 * a stale command write changes nothing; createExclusive keeps one active deployment per alias.
 */
import { and, asc, desc, eq, inArray, isNull, lte, sql, type SQL } from "drizzle-orm";
import type { Db } from "../database.ts";
import {
  clusterIdentity,
  deploymentEvents,
  deployments,
  functionAliases,
  functions,
  type DeploymentCommand,
  type DeploymentStatus,
  type DeploymentStrategy,
  type JsonObject,
} from "../schema.ts";

/** Statuses of a deployment that still owns its alias (one waiting for approval does too). */
export const ACTIVE_DEPLOYMENT_STATUSES: DeploymentStatus[] = ["PendingApproval", "Pending", "InProgress", "Paused"];
import { isUuid } from "./uuid.ts";
import { FOREIGN_KEY_VIOLATION, sqlState } from "../errors.ts";

export interface Deployment {
  id: string;
  functionName: string;
  alias: string;
  fromVersion: number | null;
  toVersion: number;
  strategy: DeploymentStrategy;
  config: JsonObject;
  analysis: JsonObject;
  status: DeploymentStatus;
  phase: string;
  /** 0–100. */
  progress: number;
  currentWeights: Record<string, number>;
  aliasBefore: JsonObject | null;
  step: number;
  phaseStartedAt: Date | null;
  pausedAt: Date | null;
  plan: JsonObject;
  hooks: JsonObject;
  command: DeploymentCommand | null;
  fenceToken: number;
  reason: string | null;
  createdBy: string | null;
  /** The approval a deployment to a protected alias needs (protocol DeploymentApproval); null when none. */
  approval: JsonObject | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface CreateDeploymentInput {
  functionName: string;
  alias: string;
  fromVersion: number | null;
  toVersion: number;
  strategy: DeploymentStrategy;
  config?: JsonObject;
  analysis?: JsonObject;
  status: DeploymentStatus;
  phase: string;
  progress?: number;
  currentWeights?: Record<string, number>;
  aliasBefore?: JsonObject | null;
  plan?: JsonObject;
  hooks?: JsonObject;
  reason?: string | null;
  createdBy?: string | null;
  /**
   * createExclusive: when the alias (read under the lock) is protected, the deployment is created
   * in status PendingApproval with this approval record instead of `status`.
   */
  approvalIfProtected?: JsonObject;
}

export type DeploymentPatch = Partial<
  Pick<
    Deployment,
    | "status"
    | "phase"
    | "progress"
    | "currentWeights"
    | "analysis"
    | "config"
    | "aliasBefore"
    | "reason"
    | "finishedAt"
    | "step"
    | "phaseStartedAt"
    | "pausedAt"
    | "plan"
    | "command"
    | "approval"
  >
>;

/** Conditions an update must meet, else it changes nothing and returns null. */
export interface UpdateGuard {
  /** The writer's fencing token: applies only when no larger token has written; then records it. */
  fenceToken?: number;
  /** Applies only while the deployment has one of these statuses. */
  status?: DeploymentStatus[];
  /** Applies only while no command is waiting. */
  noCommand?: boolean;
}

/** Result of createExclusive: the new deployment, or the active one that owns the alias. */
export type ExclusiveCreate = { created: Deployment } | { conflict: Deployment } | { functionMissing: true };

export interface DeploymentEvent {
  id: number;
  deploymentId: string;
  at: Date;
  type: string;
  fromStatus: DeploymentStatus | null;
  toStatus: DeploymentStatus | null;
  weights: Record<string, number> | null;
  reason: string | null;
  data: JsonObject | null;
}

export type DeploymentEventInput = Pick<DeploymentEvent, "type"> &
  Partial<Pick<DeploymentEvent, "fromStatus" | "toStatus" | "weights" | "reason" | "data">>;

export interface DeploymentQuery {
  functionName?: string;
  alias?: string;
  /** One status or any of several (e.g. the active ones). */
  status?: DeploymentStatus | DeploymentStatus[];
  /** Default 100. */
  limit?: number;
}

export interface DeploymentsRepository {
  create(input: CreateDeploymentInput): Promise<Deployment>;
  get(id: string): Promise<Deployment | null>;
  /**
   * Create unless another deployment is active on the same alias. The alias is read under the
   * function's row lock (the lock alias writes take), so `aliasBefore` and `fromVersion` are exactly
   * the alias this deployment starts from. Input values for those two are ignored.
   */
  createExclusive(input: CreateDeploymentInput): Promise<ExclusiveCreate>;
  /**
   * Applies the patch, bumps updatedAt and, when `event` is given, appends it in the same transaction.
   * Null when the deployment does not exist or the guard did not hold.
   */
  update(id: string, patch: DeploymentPatch, event?: DeploymentEventInput, guard?: UpdateGuard): Promise<Deployment | null>;
  /** A random id of this database, created on first use; scopes the orchestrator's state-store keys. */
  clusterId(): Promise<string>;
  /** Newest first. */
  list(query?: DeploymentQuery): Promise<Deployment[]>;
  /** Null when the deployment does not exist. */
  appendEvent(deploymentId: string, event: DeploymentEventInput): Promise<DeploymentEvent | null>;
  /** The deployment's events in the order they were written. */
  listEvents(deploymentId: string): Promise<DeploymentEvent[]>;
}

function toDeployment(row: typeof deployments.$inferSelect): Deployment {
  return {
    id: row.id,
    functionName: row.functionName,
    alias: row.alias,
    fromVersion: row.fromVersion,
    toVersion: row.toVersion,
    strategy: row.strategy,
    config: row.config,
    analysis: row.analysis,
    status: row.status,
    phase: row.phase,
    progress: row.progress,
    currentWeights: row.currentWeights,
    aliasBefore: row.aliasBefore,
    step: row.step,
    phaseStartedAt: row.phaseStartedAt,
    pausedAt: row.pausedAt,
    plan: row.plan,
    hooks: row.hooks,
    command: row.command,
    fenceToken: row.fenceToken,
    reason: row.reason,
    createdBy: row.createdBy,
    approval: row.approval,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
  };
}

function toDeploymentEvent(row: typeof deploymentEvents.$inferSelect): DeploymentEvent {
  return {
    id: row.id,
    deploymentId: row.deploymentId,
    at: row.at,
    type: row.type,
    fromStatus: row.fromStatus,
    toStatus: row.toStatus,
    weights: row.weights,
    reason: row.reason,
    data: row.data,
  };
}

function eventValues(deploymentId: string, e: DeploymentEventInput): typeof deploymentEvents.$inferInsert {
  return {
    deploymentId,
    type: e.type,
    fromStatus: e.fromStatus ?? null,
    toStatus: e.toStatus ?? null,
    weights: e.weights ?? null,
    reason: e.reason ?? null,
    data: e.data ?? null,
  };
}

function insertValues(input: CreateDeploymentInput): typeof deployments.$inferInsert {
  return {
    functionName: input.functionName,
    alias: input.alias,
    fromVersion: input.fromVersion,
    toVersion: input.toVersion,
    strategy: input.strategy,
    config: input.config ?? {},
    analysis: input.analysis ?? {},
    status: input.status,
    phase: input.phase,
    progress: input.progress ?? 0,
    currentWeights: input.currentWeights ?? {},
    aliasBefore: input.aliasBefore ?? null,
    plan: input.plan ?? {},
    hooks: input.hooks ?? {},
    reason: input.reason ?? null,
    createdBy: input.createdBy ?? null,
  };
}

export function createDeploymentsRepository(db: Db): DeploymentsRepository {
  return {
    async create(input) {
      const [row] = await db.insert(deployments).values(insertValues(input)).returning();
      return toDeployment(row);
    },

    async createExclusive(input) {
      return db.transaction(async (tx): Promise<ExclusiveCreate> => {
        const [fn] = await tx
          .select({ id: functions.id })
          .from(functions)
          .where(eq(functions.name, input.functionName))
          .for("update");
        if (!fn) return { functionMissing: true };
        const [active] = await tx
          .select()
          .from(deployments)
          .where(
            and(
              eq(deployments.functionName, input.functionName),
              eq(deployments.alias, input.alias),
              inArray(deployments.status, ACTIVE_DEPLOYMENT_STATUSES),
            ),
          )
          .limit(1);
        if (active) return { conflict: toDeployment(active) };
        const [alias] = await tx
          .select()
          .from(functionAliases)
          .where(and(eq(functionAliases.functionName, input.functionName), eq(functionAliases.name, input.alias)));
        const aliasBefore = alias
          ? { version: alias.version, routingConfig: alias.routingConfig, description: alias.description }
          : null;
        const gated = alias?.protected && input.approvalIfProtected ? { status: "PendingApproval" as const, approval: input.approvalIfProtected } : {};
        const [row] = await tx
          .insert(deployments)
          .values({ ...insertValues({ ...input, fromVersion: alias?.version ?? null, aliasBefore }), ...gated })
          .returning();
        return { created: toDeployment(row) };
      });
    },

    async clusterId() {
      await db.insert(clusterIdentity).values({ id: 1 }).onConflictDoNothing();
      const [row] = await db.select().from(clusterIdentity).where(eq(clusterIdentity.id, 1));
      return row.clusterId;
    },

    async get(id) {
      if (!isUuid(id)) return null;
      const [row] = await db.select().from(deployments).where(eq(deployments.id, id));
      return row ? toDeployment(row) : null;
    },

    async update(id, patch, event, guard = {}) {
      if (!isUuid(id)) return null;
      const changes: Partial<typeof deployments.$inferInsert> = {};
      for (const [k, v] of Object.entries(patch)) if (v !== undefined) (changes as Record<string, unknown>)[k] = v;
      const where: SQL[] = [eq(deployments.id, id)];
      if (guard.fenceToken !== undefined) {
        where.push(lte(deployments.fenceToken, guard.fenceToken));
        changes.fenceToken = guard.fenceToken;
      }
      if (guard.status) where.push(inArray(deployments.status, guard.status));
      if (guard.noCommand) where.push(isNull(deployments.command));
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(deployments)
          .set({ ...changes, updatedAt: sql`now()` })
          .where(and(...where))
          .returning();
        if (!row) return null;
        if (event) await tx.insert(deploymentEvents).values(eventValues(id, event));
        return toDeployment(row);
      });
    },

    async list(query = {}) {
      const where: SQL[] = [];
      if (query.functionName !== undefined) where.push(eq(deployments.functionName, query.functionName));
      if (query.alias !== undefined) where.push(eq(deployments.alias, query.alias));
      if (query.status !== undefined) {
        const statuses = Array.isArray(query.status) ? query.status : [query.status];
        where.push(inArray(deployments.status, statuses));
      }
      const rows = await db
        .select()
        .from(deployments)
        .where(and(...where))
        .orderBy(desc(deployments.createdAt), desc(deployments.id))
        .limit(query.limit ?? 100);
      return rows.map(toDeployment);
    },

    async appendEvent(deploymentId, event) {
      if (!isUuid(deploymentId)) return null;
      try {
        const [row] = await db.insert(deploymentEvents).values(eventValues(deploymentId, event)).returning();
        return toDeploymentEvent(row);
      } catch (e) {
        // The foreign key is the existence check, so there is no window between check and insert.
        if (sqlState(e) === FOREIGN_KEY_VIOLATION) return null;
        throw e;
      }
    },

    async listEvents(deploymentId) {
      if (!isUuid(deploymentId)) return [];
      const rows = await db
        .select()
        .from(deploymentEvents)
        .where(eq(deploymentEvents.deploymentId, deploymentId))
        .orderBy(asc(deploymentEvents.id));
      return rows.map(toDeploymentEvent);
    },
  };
}
