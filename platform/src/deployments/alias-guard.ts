/**
 * While a deployment is active on an alias it owns the alias: only that deployment (actor
 * `deployment:<id>`) may change it. A direct PUT or DELETE gets 409 AliasLocked naming the
 * deployment and how to finish it.
 */
import { ApiError } from "../../../protocol/errors.ts";
import type { Repositories } from "../db/index.ts";
import { ACTIVE_DEPLOYMENT_STATUSES } from "../db/repositories/deployments.ts";
import type { AliasGuard } from "../functions/alias-service.ts";
import type { Actor } from "../functions/function-service.ts";
import { deploymentActor } from "./transitions.ts";

export class DeploymentAliasGuard implements AliasGuard {
  constructor(private readonly repos: Repositories) {}

  async assertWritable(functionName: string, alias: string, actor: Actor): Promise<void> {
    const [owner] = await this.repos.deployments.list({ functionName, alias, status: ACTIVE_DEPLOYMENT_STATUSES, limit: 1 });
    if (!owner || actor.id === deploymentActor(owner.id).id) return;
    if (owner.status === "PendingApproval") {
      throw new ApiError(
        "AliasLocked",
        `Alias "${alias}" of function "${functionName}" is owned by deployment ${owner.id} (${owner.strategy} to version ${owner.toVersion}), which waits for approval. ` +
          `Approve it (POST /api/v1/deployments/${owner.id}/approve), reject it (POST /api/v1/deployments/${owner.id}/reject) or withdraw it (POST /api/v1/deployments/${owner.id}/rollback) first.`,
        { deploymentId: owner.id },
      );
    }
    throw new ApiError(
      "AliasLocked",
      `Alias "${alias}" of function "${functionName}" is owned by deployment ${owner.id} (${owner.strategy} to version ${owner.toVersion}, ${owner.status}) until it finishes. ` +
        `Promote it (POST /api/v1/deployments/${owner.id}/promote) or roll it back (POST /api/v1/deployments/${owner.id}/rollback) first.`,
      { deploymentId: owner.id },
    );
  }
}
