/**
 * Drives one rollout for the Alias provider: starts a deployment through the rollouts API, waits
 * for it to finish while reporting progress and events through Pulumi's log, and turns a
 * `RolledBack` or `Failed` ending into an error that carries the platform's reason. A deployment
 * to a protected alias first waits in `PendingApproval`: that is reported once (warning) with who
 * must approve and the requests that approve or reject it; a rejection or an expiry fails the update.
 *
 * Runs inside the dynamic provider: serializable, no module imports.
 */
import type { DeploymentEventView, DeploymentView } from "../../protocol/api/deployments.ts";
import { apiError, apiOf, type Connection } from "./connection.ts";
import { DEFAULT_ROLLOUT_TIMEOUT, deploymentRequest, type AliasInputs } from "./alias-inputs.ts";
import { report } from "./provider-common.ts";
import { formatDuration, parseDuration } from "./units.ts";

const POLL_INTERVAL_MS = 1000;
/** How long the API may be unreachable or failing (e.g. a control-plane restart) before waiting gives up. */
const OUTAGE_TOLERANCE_MS = 120_000;
const FINAL = ["Succeeded", "RolledBack", "Failed"];

export interface RolloutResult {
  deploymentId: string;
  deployment: DeploymentView;
}

function label(inputs: AliasInputs): string {
  return `hotswap.Alias "${inputs.functionName}:${inputs.name}"`;
}

function weightsText(weights: Record<string, number> | undefined): string {
  if (!weights || Object.keys(weights).length === 0) return "";
  const parts = Object.entries(weights)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([v, w]) => `v${v} ${Math.round(w * 1000) / 10}%`);
  return `, traffic ${parts.join(" / ")}`;
}

/** One line per change of status, phase or traffic share (`progress` is the new version's percent of traffic). */
function progressLine(inputs: AliasInputs, d: DeploymentView): string {
  const phase = d.phase ? `, phase ${d.phase}` : "";
  const progress = typeof d.progress === "number" ? `, ${d.progress}% of traffic on version ${inputs.version}` : weightsText(d.currentWeights);
  return `${label(inputs)}: rollout to version ${inputs.version} ${d.status}${phase}${progress}`;
}

function eventLine(inputs: AliasInputs, e: DeploymentEventView): string {
  const transition = e.toStatus ? (e.fromStatus ? ` ${e.fromStatus} → ${e.toStatus}` : ` → ${e.toStatus}`) : "";
  const reason = e.reason ? `: ${e.reason}` : "";
  return `${label(inputs)}: ${e.type ?? "event"}${transition}${weightsText(e.weights ?? undefined)}${reason}`;
}

/** The one report while a deployment waits for approval: who must approve, until when, and how. */
export function approvalNotice(inputs: AliasInputs, endpoint: string, d: DeploymentView): string {
  const a = d.approval;
  const url = `${endpoint.replace(/\/+$/, "")}/api/v1/deployments/${d.deploymentId}`;
  return (
    `${label(inputs)}: alias "${inputs.name}" is protected, so deployment ${d.deploymentId} (version ${d.fromVersion ?? "-"} → ${inputs.version}) waits for approval` +
    `${a ? ` until ${a.expiresAt}` : ""}. It must be approved by ${a?.approvers ?? "a principal holding deployments:approve other than the requester"}` +
    `${a?.requestedBy ? ` (requested by ${a.requestedBy})` : ""}. To approve: curl -X POST -H "Authorization: Bearer <approver key>" ${url}/approve` +
    ` — to reject: curl -X POST -H "Authorization: Bearer <approver key>" -H "content-type: application/json" -d '{"reason":"..."}' ${url}/reject`
  );
}

/** The error of a deployment that ended without approval (rejected or expired); undefined otherwise. */
function unapprovedError(inputs: AliasInputs, d: DeploymentView, fromVersion: number): Error | undefined {
  const a = d.approval;
  if (d.status !== "Failed" || !a || a.approvedBy) return undefined;
  const what = a.rejectedBy ? `was rejected by ${a.rejectedBy}${a.reason ? `: ${a.reason}` : ""}` : `was not approved in time (the approval request expired at ${a.expiresAt})`;
  return new Error(
    `${label(inputs)}: the deployment of version ${inputs.version} (${d.deploymentId}) ${what}. The alias stays on version ${fromVersion}, and so does the stack; run \`pulumi up\` again to request a new approval.`,
  );
}

/** The platform's reason for the final status: the deployment's own, else that of the last event that gave one. */
export function finalReason(d: DeploymentView): string {
  if (d.reason) return d.reason;
  const events = d.events ?? [];
  for (let i = events.length - 1; i >= 0; i--) {
    if (events[i]!.reason && (events[i]!.toStatus === d.status || !events[i]!.toStatus)) return events[i]!.reason!;
  }
  for (let i = events.length - 1; i >= 0; i--) if (events[i]!.reason) return events[i]!.reason!;
  return "the platform gave no reason";
}

function eventKey(e: DeploymentEventView, index: number): string {
  return `${e.at ?? ""}|${e.type ?? ""}|${e.toStatus ?? ""}|${index}`;
}

/**
 * Starts the rollout of `inputs.version` on the alias (currently on `fromVersion`) and waits for its end.
 * Resolves when it succeeded; rejects with the reason when it was rolled back, failed, or outlasted the timeout.
 */
export async function runRollout(conn: Connection, inputs: AliasInputs, fromVersion: number): Promise<RolloutResult> {
  const rollout = inputs.rollout!;
  const request = deploymentRequest(rollout);
  const started = await apiOf(conn).deployments.create({ functionName: inputs.functionName, version: inputs.version, alias: inputs.name, ...request });
  if (!started.ok) {
    if (started.error.status === 409) {
      throw new Error(
        `${label(inputs)}: cannot start the rollout to version ${inputs.version}: ${started.error.message} Wait for the other deployment to finish (or roll it back), or set rollout.onConflict to "cancel" to roll it back automatically; then run \`pulumi up\` again.`,
      );
    }
    throw apiError(`${label(inputs)}: starting the ${rollout.strategy} rollout to version ${inputs.version}`, started.error);
  }
  const id = started.value.deploymentId;
  const timeoutMs = parseDuration(rollout.timeout ?? DEFAULT_ROLLOUT_TIMEOUT)!;
  await report(inputs, `${label(inputs)}: ${rollout.strategy} rollout from version ${fromVersion} to version ${inputs.version} started (deployment ${id}); waiting up to ${formatDuration(timeoutMs)}.`);

  const deadline = Date.now() + timeoutMs;
  const seen = new Set<string>();
  let lastLine = "";
  const printed = new Set<string>();
  let failingSince: number | undefined;
  let announced = false;
  for (;;) {
    const r = await apiOf(conn).deployments.get(id);
    if (!r.ok) {
      const transient = r.error.status === 0 || r.error.status >= 500;
      failingSince ??= Date.now();
      if (!transient || Date.now() - failingSince > OUTAGE_TOLERANCE_MS) {
        throw apiError(`${label(inputs)}: reading deployment ${id} (the rollout continues on the platform; \`pulumi refresh\` picks up where the alias ends)`, r.error);
      }
    } else {
      failingSince = undefined;
      const d = r.value;
      const events = d.events ?? [];
      for (let i = 0; i < events.length; i++) {
        const key = eventKey(events[i]!, i);
        if (seen.has(key)) continue;
        seen.add(key);
        // Repeated verdicts ("not judged: 0 of 20 requests needed", "holding canary…") are reported once.
        const text = eventLine(inputs, events[i]!);
        if (printed.has(text)) continue;
        printed.add(text);
        await report(inputs, text);
      }
      const line = progressLine(inputs, d);
      if (line !== lastLine) {
        lastLine = line;
        await report(inputs, line);
      }
      if (d.status === "PendingApproval" && !announced) {
        announced = true;
        await report(inputs, approvalNotice(inputs, conn.endpoint, d), "warn");
      }
      if (d.status === "Succeeded") return { deploymentId: id, deployment: d };
      const unapproved = unapprovedError(inputs, d, fromVersion);
      if (unapproved) throw unapproved;
      if (FINAL.includes(d.status)) {
        const verb = d.status === "RolledBack" ? "was rolled back" : "failed";
        throw new Error(
          `${label(inputs)}: the ${rollout.strategy} rollout to version ${inputs.version} ${verb}: ${finalReason(d).replace(/[.\s]+$/, "")}. The alias is back on version ${fromVersion}, and the stack keeps version ${fromVersion}, so the next \`pulumi up\` tries again. Details: GET ${conn.endpoint.replace(/\/+$/, "")}/api/v1/deployments/${id}.`,
        );
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${label(inputs)}: the rollout to version ${inputs.version} did not finish within ${formatDuration(timeoutMs)} (deployment ${id} is ${r.ok ? r.value.status : "unreadable"}). It continues on the platform; the stack keeps version ${fromVersion} until \`pulumi refresh\` reads the alias again. Raise rollout.timeout if rollouts take longer.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
