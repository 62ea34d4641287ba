/**
 * `hotswap rollouts ls|get|watch|pause|resume|promote|rollback|approve|reject`: deployments
 * (progressive rollouts of a version onto an alias). `watch` follows one to its end and exits 5
 * when it is rolled back or fails.
 */
import { Option, type Command } from "commander";
import { STATUSES, type DeploymentCommandName, type DeploymentSummary, type DeploymentView } from "../../protocol/api/deployments.ts";
import { clientAction, must } from "../command-kit.ts";
import { formatFields, formatTable } from "../output.ts";
import { deploymentExitCode, followDeployment, isFinished, progressLine, weightsText } from "../rollout-follow.ts";

function describeDeployment(d: DeploymentView): string {
  const fields = formatFields({
    deployment: d.deploymentId,
    function: `${d.functionName}:${d.alias}`,
    versions: `v${d.fromVersion ?? "-"} → v${d.toVersion}`,
    strategy: `${d.strategy} ${JSON.stringify(d.config)}`,
    status: `${d.status} (${d.phase})${d.pendingCommand ? `, ${d.pendingCommand} pending` : ""}`,
    progress: `${Math.round(d.progress)}%`,
    weights: weightsText(d.currentWeights),
    reason: d.reason,
    approval: d.approval ? (d.approval.approvedBy ? `approved by ${d.approval.approvedBy}` : d.approval.rejectedBy ? `rejected by ${d.approval.rejectedBy}` : `waiting (${d.approval.approvers}) until ${d.approval.expiresAt}`) : null,
    created: `${d.createdAt}${d.createdBy ? ` by ${d.createdBy}` : ""}`,
    finished: d.finishedAt,
  });
  const events = d.events.map((e) => `  ${e.at}  ${e.type}${e.toStatus ? ` → ${e.toStatus}` : ""}${e.weights ? `  ${weightsText(e.weights)}` : ""}${e.reason ? `  ${e.reason}` : ""}`);
  return `${fields}\nevents:\n${events.length > 0 ? events.join("\n") : "  (none)"}`;
}

export function registerRolloutCommands(program: Command): void {
  const rollouts = program.command("rollouts").alias("deployments").description("list, follow and steer deployments (rollouts)");

  rollouts
    .command("ls")
    .description("list deployments, newest first")
    .option("--function <name>", "only this function's")
    .option("--alias <alias>", "only this alias's")
    .addOption(new Option("--status <status>", "only deployments in this status").choices([...STATUSES]))
    .action(
      clientAction(async ({ api, out }, o: { function?: string; alias?: string; status?: DeploymentSummary["status"] }) => {
        const list = must(await api.deployments.list({ functionName: o.function, alias: o.alias, status: o.status }), "listing deployments");
        out.result(list, () =>
          formatTable(list.deployments, [
            ["ID", (d) => d.deploymentId],
            ["FUNCTION", (d) => `${d.functionName}:${d.alias}`],
            ["VERSIONS", (d) => `v${d.fromVersion ?? "-"}→v${d.toVersion}`],
            ["STRATEGY", (d) => d.strategy],
            ["STATUS", (d) => d.status],
            ["PHASE", (d) => d.phase],
            ["PROGRESS", (d) => `${Math.round(d.progress)}%`],
            ["CREATED", (d) => d.createdAt],
          ]),
        );
      }),
    );

  rollouts
    .command("get <id>")
    .description("show a deployment: status, weights, events")
    .action(
      clientAction(async ({ api, out }, id: string) => {
        const d = must(await api.deployments.get(id), `reading deployment ${id}`);
        out.result(d, () => describeDeployment(d));
      }),
    );

  rollouts
    .command("watch <id>")
    .description("follow a deployment to its end with a progress display; exit 5 when it is rolled back or fails")
    .option("--interval <ms>", "how often to poll, in milliseconds", (v) => Math.max(100, Number(v) || 500), 500)
    .action(
      clientAction(async ({ api, out }, id: string, o: { interval: number }) => {
        const d = await followDeployment(api, id, { intervalMs: o.interval });
        out.result(d, () => `Deployment ${d.deploymentId} ${d.status}${d.reason ? `: ${d.reason}` : ""}.`);
        return deploymentExitCode(d);
      }),
    );

  const steer = (name: DeploymentCommandName, description: string) =>
    rollouts
      .command(`${name} <id>`)
      .description(description)
      .option("--reason <text>", "why (recorded in the deployment's events and the audit trail)")
      .action(
        clientAction(async ({ api, out }, id: string, o: { reason?: string }) => {
          const d = must(await api.deployments.command(id, name, { reason: o.reason }), `${name} of deployment ${id}`);
          const queued = d.pendingCommand !== null && !isFinished(d);
          out.result(d, () => `Deployment ${d.deploymentId}: ${queued ? `${name} queued (the rollout leader applies it shortly)` : progressLine(d)}`);
        }),
      );
  steer("pause", "hold the current weights (automatic rollback stays armed)");
  steer("resume", "resume a paused deployment");
  steer("promote", "send all traffic to the new version now and finish");
  steer("rollback", "restore the alias exactly as it was before the deployment");

  rollouts
    .command("approve <id>")
    .description("approve a deployment to a protected alias (by another principal than its requester)")
    .action(
      clientAction(async ({ api, out }, id: string) => {
        const d = must(await api.deployments.approve(id), `approving deployment ${id}`);
        out.result(d, () => `Approved deployment ${d.deploymentId}: ${d.status}.`);
      }),
    );

  rollouts
    .command("reject <id>")
    .description("reject a deployment waiting for approval")
    .requiredOption("--reason <text>", "why (the requester sees it)")
    .action(
      clientAction(async ({ api, out }, id: string, o: { reason: string }) => {
        const d = must(await api.deployments.reject(id, o.reason), `rejecting deployment ${id}`);
        out.result(d, () => `Rejected deployment ${d.deploymentId}: ${d.status}.`);
      }),
    );
}
