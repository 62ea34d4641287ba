/**
 * The rules of protected aliases for direct writes (PUT and DELETE on the alias); deployments write
 * through AliasService.applyState and are not subject to them, since a deployment to a protected
 * alias starts only once another principal approved it.
 *
 * - Creating an alias is allowed, protected or not (a new alias moves no existing traffic).
 * - On a protected alias, a write that changes its traffic (primary version or weights) is refused
 *   with 409 AliasProtected: start a deployment instead. Setting its description is allowed.
 * - Changing `protected` on an existing alias (either way) needs deployments:approve (403 Forbidden
 *   otherwise); the traffic rule uses the protection the alias has before the write, so unprotecting
 *   and moving traffic are two requests.
 * - A protected alias cannot be deleted; unprotect it first.
 */
import { ApiError } from "../../../protocol/errors.ts";
import type { Alias as AliasRecord } from "../db/index.ts";
import type { AliasState } from "./alias-service.ts";
import type { Actor } from "./function-service.ts";

/** Throws when a direct PUT of `next` (and `protect`, when given) on `current` breaks a rule above. */
export function assertDirectWrite(fn: string, alias: string, current: AliasRecord | null, next: AliasState, protect: boolean | undefined, actor: Actor): void {
  if (!current) return;
  if (protect !== undefined && protect !== current.protected && !actor.canApprove) {
    throw new ApiError(
      "Forbidden",
      `${protect ? "Protecting" : "Unprotecting"} alias "${alias}" of function "${fn}" needs permission "deployments:approve"; ${actor.id} does not hold it. ` +
        `Ask an admin, or use a deployer key with canApprove.`,
    );
  }
  if (current.protected && !sameTraffic(current, next)) {
    throw new ApiError(
      "AliasProtected",
      `Alias "${alias}" of function "${fn}" is protected: its traffic (version ${current.version}${weightsText(current.routingConfig.additionalVersionWeights)}) changes only through an approved deployment. ` +
        `Start one with POST /api/v1/deployments {"functionName": "${fn}", "alias": "${alias}", "version": ${next.version}, "strategy": "Direct"} (or a progressive strategy) ` +
        `and have another principal approve it (POST /api/v1/deployments/{id}/approve). Its description can still be set here.`,
    );
  }
}

/** Throws 409 AliasProtected for a protected alias. */
export function assertDeletable(fn: string, alias: string, current: AliasRecord): void {
  if (!current.protected) return;
  throw new ApiError(
    "AliasProtected",
    `Alias "${alias}" of function "${fn}" is protected and cannot be deleted. Unprotect it first (PUT it with "protected": false, which needs permission "deployments:approve").`,
  );
}

/** The audit action of an update: a change of protection is named as such. */
export function protectionAction(before: boolean, after: boolean): string {
  if (before === after) return "alias.update";
  return after ? "alias.protect" : "alias.unprotect";
}

function sameTraffic(a: AliasRecord, b: AliasState): boolean {
  if (a.version !== b.version || a.routingConfig.abTest) return false;
  const wa = a.routingConfig.additionalVersionWeights;
  const wb = b.routingConfig.additionalVersionWeights;
  for (const k of new Set([...Object.keys(wa), ...Object.keys(wb)])) if (Math.abs((wa[k] ?? 0) - (wb[k] ?? 0)) > 1e-9) return false;
  return true;
}

function weightsText(weights: Record<string, number>): string {
  const extra = Object.entries(weights).filter(([, w]) => w > 0);
  return extra.length === 0 ? "" : ` plus ${extra.map(([v, w]) => `${Math.round(w * 1000) / 10}% on version ${v}`).join(", ")}`;
}
