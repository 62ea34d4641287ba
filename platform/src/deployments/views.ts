/** How deployments and their events look on the wire (see DeploymentSummary / DeploymentView). */
import type { AuditLog, Deployment, DeploymentEvent } from "../db/index.ts";
import type { WindowStats } from "../metrics/metrics-reader.ts";
import type { DeploymentApproval, DeploymentEventView, DeploymentSummary, DeploymentView } from "../../../protocol/api/deployments.ts";
import { maskAnalysisToken } from "./prometheus-token.ts";

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function toSummary(d: Deployment): DeploymentSummary {
  return {
    deploymentId: d.id,
    functionName: d.functionName,
    alias: d.alias,
    fromVersion: d.fromVersion,
    toVersion: d.toVersion,
    strategy: d.strategy,
    config: d.config,
    analysis: maskAnalysisToken(d.analysis) as Deployment["analysis"],
    hooks: d.hooks,
    status: d.status,
    phase: d.phase,
    progress: d.progress,
    currentWeights: d.currentWeights,
    reason: d.reason,
    pendingCommand: d.command?.action ?? null,
    approval: (d.approval as DeploymentApproval | null) ?? null,
    createdBy: d.createdBy,
    createdAt: iso(d.createdAt)!,
    updatedAt: iso(d.updatedAt)!,
    finishedAt: iso(d.finishedAt),
  };
}

export function toEventView(e: DeploymentEvent): DeploymentEventView {
  return {
    at: iso(e.at)!,
    type: e.type,
    fromStatus: e.fromStatus,
    toStatus: e.toStatus,
    weights: e.weights,
    reason: e.reason,
    data: e.data,
  };
}

export function toView(
  d: Deployment,
  events: DeploymentEvent[],
  aliasChanges: AuditLog[],
  metrics: { windowSeconds: number; current: Record<string, WindowStats>; previous: Record<string, WindowStats> },
): DeploymentView {
  return {
    ...toSummary(d),
    aliasChanges: aliasChanges.map((a) => ({ at: iso(a.at)!, action: a.action, before: a.before, after: a.after })),
    metrics,
    events: events.map(toEventView),
  };
}
