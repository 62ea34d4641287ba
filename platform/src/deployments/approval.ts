/**
 * Approvals of deployments to protected aliases, as pure decisions over a deployment's persisted
 * `approval` record: the record a new request starts with, who may approve it (anyone holding
 * deployments:approve but the requester), whether it expired, and the refusals' wording. The
 * DeploymentService applies approve/reject; the rollout leader fails rejected and expired ones.
 */
import { ApiError } from "../../../protocol/errors.ts";
import type { DeploymentApproval } from "../../../protocol/api/deployments.ts";
import { formatMs } from "../../../protocol/api/durations.ts";
import type { Deployment } from "../db/index.ts";
import type { Actor } from "../functions/function-service.ts";

/** HOTSWAP_APPROVAL_TIMEOUT's default: a day. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 24 * 3600_000;

/** Who may decide on a deployment requested by `requester`, in words (shown in the API and by Pulumi). */
export function approversText(requester: string): string {
  return `any principal other than ${requester} holding permission "deployments:approve" (an admin, a deployer key with canApprove, or a JWT with role approver)`;
}

/** The approval record a deployment to a protected alias starts with. */
export function approvalRequest(requester: string, nowMs: number, timeoutMs: number): DeploymentApproval {
  return {
    requestedBy: requester,
    requestedAt: new Date(nowMs).toISOString(),
    expiresAt: new Date(nowMs + timeoutMs).toISOString(),
    approvers: approversText(requester),
  };
}

export function approvalOf(d: Pick<Deployment, "approval">): DeploymentApproval | null {
  return (d.approval as DeploymentApproval | null) ?? null;
}

export function isExpired(a: DeploymentApproval, nowMs: number): boolean {
  return nowMs >= Date.parse(a.expiresAt);
}

/**
 * Throws unless `actor` may approve or reject `d` now: it must wait for approval (409 with its
 * status otherwise), the actor must hold deployments:approve and not be the requester (403), and
 * the request must not have expired (409).
 */
export function assertDecidable(d: Deployment, action: "approve" | "reject", actor: Actor, nowMs: number): DeploymentApproval {
  const a = approvalOf(d);
  if (d.status !== "PendingApproval" || !a) {
    const why = d.status === "PendingApproval" ? "it has no approval record" : `it is ${d.status}${d.reason ? ` (${d.reason})` : ""}`;
    throw new ApiError("DeploymentConflict", `Cannot ${action} deployment ${d.id}: ${why}; only a PendingApproval deployment can be approved or rejected.`, {
      status: d.status,
    });
  }
  if (!actor.canApprove) {
    throw new ApiError("Forbidden", `Approving or rejecting deployments needs permission "deployments:approve"; ${actor.id} does not hold it.`);
  }
  if (d.createdBy !== null && d.createdBy === actor.id) {
    const instead = action === "approve" ? "" : " To withdraw it, roll it back (POST /api/v1/deployments/{id}/rollback).";
    throw new ApiError(
      "Forbidden",
      `${actor.id} requested deployment ${d.id} and cannot ${action} it: a deployment to a protected alias needs a decision by ${a.approvers}.${instead}`,
    );
  }
  if (d.command) {
    throw new ApiError("DeploymentConflict", `A ${d.command.action} request on deployment ${d.id} is being applied; it can no longer be ${action}d.`, { status: d.status });
  }
  if (isExpired(a, nowMs)) {
    throw new ApiError(
      "DeploymentConflict",
      `The approval request of deployment ${d.id} expired at ${a.expiresAt}; the deployment fails without changing the alias. Start a new deployment to try again.`,
      { status: d.status },
    );
  }
  return a;
}

/** The reason a deployment that waited in vain fails with. */
export function expiryReason(a: DeploymentApproval): string {
  const waited = formatMs(Date.parse(a.expiresAt) - Date.parse(a.requestedAt));
  return `not approved within ${waited} (HOTSWAP_APPROVAL_TIMEOUT): the approval requested by ${a.requestedBy ?? "an unknown principal"} expired at ${a.expiresAt}; the alias was not changed`;
}

export function rejectionReason(a: DeploymentApproval): string {
  return `rejected by ${a.rejectedBy}${a.reason ? `: ${a.reason}` : ""}; the alias was not changed`;
}
