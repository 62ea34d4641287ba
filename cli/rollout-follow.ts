/**
 * Following a deployment to its end (`deploy --alias ... --strategy`, `rollouts watch`): polls
 * GET /api/v1/deployments/{id} and shows each change of status, phase or weights on stderr, as a
 * progress bar redrawn in place on a terminal and one line per change otherwise.
 */
import type { ApiClient } from "../client/index.ts";
import type { DeploymentSummary, DeploymentView } from "../protocol/api/deployments.ts";
import { must } from "./command-kit.ts";
import { EXIT } from "./exit-codes.ts";

export const FINISHED = ["Succeeded", "RolledBack", "Failed"] as const;

export function isFinished(d: Pick<DeploymentSummary, "status">): boolean {
  return (FINISHED as readonly string[]).includes(d.status);
}

/** The exit code of a finished deployment: 0 Succeeded, 5 RolledBack or Failed. */
export function deploymentExitCode(d: Pick<DeploymentSummary, "status">): number {
  return d.status === "Succeeded" ? EXIT.ok : EXIT.rolledBack;
}

export function weightsText(weights: Record<string, number>): string {
  return Object.entries(weights)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([v, w]) => `v${v} ${Math.round(w * 1000) / 10}%`)
    .join(" / ");
}

/** `[#####---------------]  25% on v2  InProgress (canary)  v1 75% / v2 25%`. */
export function progressLine(d: DeploymentSummary): string {
  const width = 20;
  const filled = Math.max(0, Math.min(width, Math.round((d.progress / 100) * width)));
  const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
  return `${bar} ${String(Math.round(d.progress)).padStart(3)}% on v${d.toVersion}  ${d.status} (${d.phase})  ${weightsText(d.currentWeights)}`;
}

export interface FollowOptions {
  intervalMs?: number;
  stderr?: NodeJS.WriteStream;
}

export async function followDeployment(api: ApiClient, id: string, opts: FollowOptions = {}): Promise<DeploymentView> {
  const stderr = opts.stderr ?? process.stderr;
  const tty = stderr.isTTY === true;
  let last = "";
  let seenEvents = 0;
  let lastEvent = "";
  for (;;) {
    const d = must(await api.deployments.get(id), `reading deployment ${id}`);
    for (const e of d.events.slice(seenEvents)) {
      const text = e.reason ? `${e.type}: ${e.reason}` : "";
      // A held step reports itself every tick: show each distinct event once in a row.
      if (text === "" || text === lastEvent) continue;
      lastEvent = text;
      stderr.write(tty ? `\r\x1b[2K  ${text}\n` : `  ${text}\n`);
      if (tty) last = "";
    }
    seenEvents = d.events.length;
    const line = progressLine(d);
    if (line !== last) {
      stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      last = line;
    }
    if (isFinished(d)) {
      if (tty) stderr.write("\n");
      return d;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}
