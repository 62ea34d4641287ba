/**
 * Drives one deployment one step at a time from its persisted state: apply a waiting command,
 * fail one whose approval was rejected or expired (a PendingApproval one is never started),
 * start a Pending deployment, run hooks, prewarm and smoke-test (blue-green), judge analysis and
 * advance or roll back. The leader calls step() on every tick; a step that moved the deployment
 * returns it so the leader can step again at once, otherwise the next tick continues.
 */
import type { Deployment, Repositories } from "../db/index.ts";
import { isApiError } from "../../../protocol/errors.ts";
import type { RunnerHandle } from "../../../protocol/runner.ts";
import type { Invoker } from "../router/invoker.ts";
import type { RoutingTable } from "../router/routing-table.ts";
import { formatMs } from "../../../protocol/api/durations.ts";
import { runHook, smokeInvoke } from "./hooks.ts";
import { ANALYSED_PHASES, batchRunners, firstTrafficPhase, nextTrafficPhase, planOf, stepDurationMs, type Phase } from "./plan.ts";
import { intervalMs, type Judgement, type RolloutAnalyzer } from "./rollout-analysis.ts";
import type { BlueGreenConfig, DeploymentHooks, RollingConfig } from "../../../protocol/api/deployments.ts";
import { deploymentActor, LeadershipLost, type Transitions } from "./transitions.ts";
import { approvalOf, expiryReason, isExpired, rejectionReason } from "./approval.ts";
import { toSummary } from "./views.ts";
import { judgeMetrics, renderQuery, type MetricsVerdict } from "./prometheus-analysis.ts";
import { queryInstant, type PrometheusTarget, type QueryResult } from "./prometheus-query.ts";
import { openAnalysisToken, type StoredPrometheusAnalysis, type TokenBox } from "./prometheus-token.ts";
import { parseDuration } from "../../../protocol/api/durations.ts";

export interface DriverDeps {
  repos: Repositories;
  transitions: Transitions;
  analyzer: RolloutAnalyzer;
  invoker: Invoker;
  runner: RunnerHandle;
  routing: RoutingTable;
  /** Runners a Rolling deployment moves batch by batch (1 for the embedded runner). */
  runnerCount(): Promise<number>;
  /** Live instances of a version across the runners. */
  instancesOf(functionName: string, version: number): Promise<number>;
  now(): number;
  /** Runs one Prometheus instant query (analysis.prometheus). @default queryInstant (fetch) */
  queryPrometheus?: (target: PrometheusTarget, query: string) => Promise<QueryResult>;
  /** Opens the sealed analysis.prometheus bearer token (see prometheus-token.ts). */
  box?: TokenBox;
}

/** What the leader remembers about a deployment during its term (lost on a leader change, by design). */
interface Memo {
  reconciled: boolean;
  lastAnalysisEventAt: number;
  holdReported?: string;
  /** analysis.prometheus: when it last ran, failed intervals in a row, and the phase:step it last passed in. */
  prometheusAt?: number;
  prometheusFailures?: number;
  prometheusPassed?: string;
}

const pct = (x: number | null) => (x === null ? "n/a" : `${(x * 100).toFixed(1)}%`);
const TERMINAL_PHASES = new Set(["rolling-back", "failing", "done"]);

export class DeploymentDriver {
  private readonly memos = new Map<string, Memo>();

  constructor(private readonly deps: DriverDeps) {}

  /** Forget per-term memory (a new leadership term starts with a reconcile of every alias). */
  resetTerm(): void {
    this.memos.clear();
  }

  /** Advance the deployment if it can; returns it when it moved and should be stepped again now. */
  async step(d: Deployment): Promise<Deployment | undefined> {
    try {
      if (d.command) return await this.applyCommand(d);
      if (d.status === "PendingApproval") return await this.awaitApproval(d);
      if (d.status === "Pending") return await this.begin(d);
      const memo = this.memo(d.id);
      if (!memo.reconciled) {
        // First step of this leadership term: fence out the previous leader, then make the alias
        // match what the persisted phase and step planned (a crash can fall between row and alias writes).
        d = await this.deps.transitions.claim(d);
        if (!["pending", "pre-traffic", "prewarm", "smoke", ...TERMINAL_PHASES].includes(d.phase)) await this.deps.transitions.reconcile(d);
        memo.reconciled = true;
      }
      return await this.advance(d);
    } catch (e) {
      if (e instanceof LeadershipLost) throw e;
      // The function or a version vanished under the deployment: nothing left to roll out.
      if (isApiError(e) && (e.code === "FunctionNotFound" || e.code === "VersionNotFound") && !TERMINAL_PHASES.has(d.phase)) {
        return this.deps.transitions.finish(d, "Failed", `${e.code}: ${e.message}`);
      }
      throw e;
    }
  }

  forget(id: string): void {
    this.memos.delete(id);
  }

  private memo(id: string): Memo {
    let m = this.memos.get(id);
    if (!m) this.memos.set(id, (m = { reconciled: false, lastAnalysisEventAt: 0 }));
    return m;
  }

  private hooks(d: Deployment): DeploymentHooks {
    return d.hooks as DeploymentHooks;
  }

  /**
   * A deployment waiting for approval is never started here: approve (the API) moves it to Pending.
   * A rejected one, or one whose approval expired, fails with the alias untouched; the expiry is
   * audited as the deployment's own act (the rejection was audited by the API as the rejecter's).
   */
  private async awaitApproval(d: Deployment): Promise<Deployment | undefined> {
    const a = approvalOf(d);
    const now = this.deps.now();
    if (a?.rejectedBy) return (await this.deps.transitions.failUnapproved(d, rejectionReason(a))) ?? undefined;
    if (a && !isExpired(a, now)) return undefined;
    const reason = a ? expiryReason(a) : "waited for approval without an approval record; the alias was not changed";
    const approval = a ? { ...a, expiredAt: new Date(now).toISOString() } : null;
    const failed = await this.deps.transitions.failUnapproved(d, reason, { approval });
    if (!failed) return undefined;
    await this.deps.repos.auditLogs.append({
      actor: deploymentActor(d.id).id,
      action: "deployment.expire",
      resourceType: "deployment",
      resourceId: d.id,
      before: toSummary(d),
      after: toSummary(failed),
      requestId: null,
    });
    return failed;
  }

  private async begin(d: Deployment): Promise<Deployment> {
    const t = this.deps.transitions;
    const plan = { ...planOf(d) };
    if (d.strategy === "Rolling") {
      plan.runners = Math.max(1, await this.deps.runnerCount());
      plan.batchRunners = batchRunners(d.config as RollingConfig, plan.runners);
    }
    this.memo(d.id).reconciled = true;
    if (this.hooks(d).preTraffic) {
      return t.moveTo(d, "pre-traffic", 0, { status: "InProgress", plan, reason: "started; running the pre-traffic hook" });
    }
    const first = firstTrafficPhase({ ...d, plan });
    return t.moveTo(d, first.phase, first.step, { status: "InProgress", plan, reason: `started: ${describePhase(d, first.phase)}` });
  }

  private async advance(d: Deployment): Promise<Deployment | undefined> {
    const t = this.deps.transitions;
    switch (d.phase) {
      case "rolling-back":
        return t.abort(d, "RolledBack", d.reason ?? "rolled back");
      case "failing":
        return t.abort(d, "Failed", d.reason ?? "failed");
    }
    if (ANALYSED_PHASES.has(d.phase)) return this.analyse(d);
    if (d.status === "Paused") return undefined;
    switch (d.phase) {
      case "pre-traffic": {
        const r = await runHook(this.deps.invoker, d, "preTraffic", this.hooks(d).preTraffic!);
        if (!r.ok) return t.abort(d, "Failed", `${r.reason}; the alias was not changed`);
        const first = firstTrafficPhase(d);
        return t.moveTo(d, first.phase, first.step, { reason: `pre-traffic hook passed in ${r.durationMs} ms; ${describePhase(d, first.phase)}` });
      }
      case "prewarm":
        return this.prewarm(d);
      case "smoke": {
        const r = await smokeInvoke(this.deps.invoker, d, (d.config as BlueGreenConfig).smokeEvent);
        if (!r.ok) return t.abort(d, "Failed", `${r.reason}; the alias was not changed`);
        return t.moveTo(d, "post-traffic", 0, { reason: `smoke invocation passed in ${r.durationMs} ms; switched all traffic to version ${d.toVersion}` });
      }
      case "post-traffic": {
        const hook = this.hooks(d).postTraffic;
        let note = "";
        if (hook) {
          const r = await runHook(this.deps.invoker, d, "postTraffic", hook);
          if (!r.ok) return t.abort(d, "Failed", `${r.reason}; the alias was restored`);
          note = `post-traffic hook passed in ${r.durationMs} ms`;
        }
        if (d.strategy === "BlueGreen") {
          const window = stepDurationMs(d, "bake") ?? 0;
          return t.moveTo(d, "bake", 0, { reason: `${note ? `${note}; ` : ""}rollback window of ${formatMs(window)}: version ${d.fromVersion} stays warm` });
        }
        return t.finish(d, "Succeeded", note ? `${note}; all traffic on version ${d.toVersion}` : `all traffic on version ${d.toVersion}`);
      }
      default:
        return undefined;
    }
  }

  /** Blue-green: start the new version up to the old one's warm capacity before the smoke test. */
  private async prewarm(d: Deployment): Promise<Deployment> {
    const { routing, runner } = this.deps;
    // A version published on another replica moments ago may not be in this routing table yet.
    const to = routing.spec(d.functionName, d.toVersion) ?? (await routing.reload(d.functionName), routing.spec(d.functionName, d.toVersion));
    if (!to) return this.deps.transitions.abort(d, "Failed", `version ${d.toVersion} of "${d.functionName}" is not loaded on this control plane; the alias was not changed`);
    const warm = d.fromVersion === null ? 0 : await this.deps.instancesOf(d.functionName, d.fromVersion);
    const live = await runner.prewarm(to, Math.max(1, warm));
    return this.deps.transitions.moveTo(d, "smoke", 0, {
      plan: { warmCount: warm },
      reason: `prewarmed version ${d.toVersion} to ${live} instance(s) (version ${d.fromVersion ?? "-"} had ${warm} warm); smoke-invoking it`,
      data: { warm, live },
    });
  }

  /** Judge the sliding window (roll back on a breach), then advance the step when it is due. */
  private async analyse(d: Deployment): Promise<Deployment | undefined> {
    const { analyzer, transitions: t } = this.deps;
    const now = this.deps.now();
    const memo = this.memo(d.id);
    const sliding = await analyzer.sliding(d, now);
    if (now - memo.lastAnalysisEventAt >= intervalMs(d)) {
      memo.lastAnalysisEventAt = now;
      await t.note(d, { type: "analysis", reason: verdictText(sliding), data: judgementData(sliding) });
    }
    if (sliding.verdict.kind === "breach") return t.abort(d, "RolledBack", sliding.verdict.reason, { data: judgementData(sliding) });
    const prometheus = (d.analysis as { prometheus?: StoredPrometheusAnalysis }).prometheus;
    if (prometheus && now - (memo.prometheusAt ?? 0) >= intervalMs(d)) {
      memo.prometheusAt = now;
      const v = await this.checkPrometheus(d, prometheus, memo);
      if (v.kind === "breach" || (v.kind === "error" && v.rollBack)) return t.abort(d, "RolledBack", v.reason, { data: { prometheus: v } });
    }
    if (d.phase === "bake") await this.keepWarm(d);
    if (d.status === "Paused") return undefined;
    const duration = stepDurationMs(d, d.phase);
    const began = d.phaseStartedAt?.getTime() ?? now;
    if (duration === undefined || now - began < duration) return undefined;

    const gate = await analyzer.step(d, now);
    if (gate.verdict.kind === "breach") return t.abort(d, "RolledBack", gate.verdict.reason, { data: judgementData(gate) });
    if (gate.verdict.kind === "insufficient" && d.phase !== "bake") {
      // Never promote a step without evidence: hold until the step has seen minRequests.
      const key = `${d.phase}:${d.step}`;
      if (memo.holdReported !== key) {
        memo.holdReported = key;
        await t.note(d, {
          type: "hold",
          reason: `holding ${d.phase}: version ${d.toVersion} served ${gate.verdict.requests} of the ${gate.verdict.minRequests} requests (minRequests) analysis needs in this step; promote by hand to skip`,
        });
      }
      return undefined;
    }
    if (prometheus && d.phase !== "bake" && memo.prometheusPassed !== `${d.phase}:${d.step}`) {
      // Nor without the Prometheus metrics having passed once in this step.
      const key = `prometheus:${d.phase}:${d.step}`;
      if (memo.holdReported !== key) {
        memo.holdReported = key;
        await t.note(d, { type: "hold", reason: `holding ${d.phase}: the Prometheus metrics have not passed with data in this step yet; promote by hand to skip` });
      }
      return undefined;
    }
    const next = nextTrafficPhase(d, d.phase, d.step);
    const evidence = `${d.phase}${d.phase === "linear" || d.phase === "rolling" ? ` step ${d.step}` : ""} passed analysis (${gate.target.requests} requests, error rate ${pct(gate.target.errorRate)}, p99 ${gate.target.p99 ?? "n/a"} ms)`;
    if (next.phase === "done") return t.finish(d, "Succeeded", `${evidence}; rollback window over, all traffic on version ${d.toVersion}`);
    return t.moveTo(d, next.phase, next.step, { reason: `${evidence}; ${describePhase(d, next.phase, next.step)}`, data: judgementData(gate) });
  }

  /** Query every metric template for the new version and judge the values; records the result as an event. */
  private async checkPrometheus(d: Deployment, p: StoredPrometheusAnalysis, memo: Memo): Promise<MetricsVerdict> {
    const query = this.deps.queryPrometheus ?? queryInstant;
    let bearerToken: string | undefined;
    let unopened: string | undefined;
    try {
      bearerToken = openAnalysisToken(p, d.functionName, this.deps.box);
    } catch (e) {
      unopened = `the bearer token cannot be used: ${(e as Error).message}`;
    }
    const target = { address: p.address, bearerToken, timeoutMs: parseDuration(p.timeout) ?? 5000 };
    const values = { function: d.functionName, version: d.toVersion, intervalMs: intervalMs(d) };
    // A token that does not open fails the interval like an unreachable Prometheus (failAfterErrors decides).
    const results = unopened !== undefined ? p.metrics.map((): QueryResult => ({ ok: false, error: unopened })) : await Promise.all(p.metrics.map((m) => query(target, renderQuery(m.query, values))));
    const v = judgeMetrics(p, results, memo.prometheusFailures ?? 0);
    memo.prometheusFailures = v.kind === "error" ? v.failedIntervals : 0;
    if (v.kind === "pass") memo.prometheusPassed = `${d.phase}:${d.step}`;
    const shown = (vals: Record<string, number | null>) => Object.entries(vals).map(([k, x]) => `${k}=${x ?? "no data"}`).join(", ");
    const reason =
      v.kind === "pass" ? `Prometheus metrics passed: ${shown(v.values)}` : v.kind === "no-data" ? `Prometheus metrics not judged (no data for ${v.missing.join(", ")}): ${shown(v.values)}` : v.reason;
    await this.deps.transitions.note(d, { type: "analysis", reason, data: { prometheus: v } });
    return v;
  }

  /** During the blue-green rollback window the old version is kept at its pre-switch warm capacity. */
  private async keepWarm(d: Deployment): Promise<void> {
    const count = planOf(d).warmCount ?? 0;
    if (count <= 0 || d.fromVersion === null) return;
    const spec = this.deps.routing.spec(d.functionName, d.fromVersion);
    if (spec) await this.deps.runner.prewarm(spec, count);
  }

  private async applyCommand(d: Deployment): Promise<Deployment | undefined> {
    const t = this.deps.transitions;
    const cmd = d.command!;
    const by = `${cmd.action === "pause" ? "paused" : cmd.action === "resume" ? "resumed" : cmd.action === "promote" ? "promoted" : "rolled back"} by ${cmd.actor}${cmd.reason ? `: ${cmd.reason}` : ""}`;
    const clear = { command: null };
    const closing = TERMINAL_PHASES.has(d.phase);
    const reject = (why: string) =>
      t.write(d, clear, { type: "command-rejected", reason: `cannot ${cmd.action} (requested by ${cmd.actor}): ${why}`, data: { action: cmd.action, commandAt: cmd.at } });
    switch (cmd.action) {
      case "pause":
        if (closing || d.status === "Paused") return reject(`the deployment is ${d.status} in phase ${d.phase}`);
        return t.write(d, { ...clear, status: "Paused", pausedAt: new Date(this.deps.now()) }, { type: "transition", fromStatus: d.status, toStatus: "Paused", reason: by });
      case "resume": {
        if (d.status !== "Paused") return reject(`the deployment is ${d.status}, not Paused`);
        const pausedFor = d.pausedAt ? this.deps.now() - d.pausedAt.getTime() : 0;
        const status = d.phase === "pending" ? "Pending" : "InProgress";
        // The step timer excludes the pause, so a paused canary still bakes for its full duration.
        const phaseStartedAt = d.phaseStartedAt ? new Date(d.phaseStartedAt.getTime() + pausedFor) : null;
        return t.write(d, { ...clear, status, pausedAt: null, phaseStartedAt }, { type: "transition", fromStatus: "Paused", toStatus: status, reason: by });
      }
      case "promote":
        if (closing) return reject(`the deployment is already in phase ${d.phase}`);
        if (d.phase === "post-traffic") return t.write(d, clear, { type: "command", reason: `${by} (already moving to 100%)` });
        if (d.phase === "bake") return t.finish(d, "Succeeded", `${by}; rollback window ended early`);
        return t.moveTo(d, "post-traffic", 0, { status: "InProgress", patch: { ...clear, pausedAt: null }, reason: `${by}; all traffic to version ${d.toVersion}` });
      case "rollback":
        // The command stays queued until finish() clears it, so the caller sees RolledBack, not a half-way state.
        if (d.phase === "rolling-back") return t.abort(d, "RolledBack", d.reason ?? by);
        if (closing) return reject(`the deployment is already in phase ${d.phase}`);
        return t.abort(d, "RolledBack", by);
    }
  }
}

function describePhase(d: Deployment, phase: Phase | string, step = 1): string {
  const c = d.config as Record<string, unknown>;
  switch (phase) {
    case "canary":
      return `canary: ${c.canaryPercentage}% to version ${d.toVersion} for ${c.canaryDuration}`;
    case "linear":
      return `linear step ${step}: ${Math.min(100, step * Number(c.stepPercentage))}% to version ${d.toVersion} for ${c.stepInterval}`;
    case "rolling": {
      const p = planOf(d);
      return `rolling batch ${step}: ${Math.min(p.runners ?? 1, step * (p.batchRunners ?? 1))} of ${p.runners ?? 1} runners on version ${d.toVersion} for ${c.batchInterval}`;
    }
    case "ab":
      return `A/B test: ${c.variantPercentage}% of keys to version ${d.toVersion} until promoted or rolled back`;
    case "prewarm":
      return `prewarming version ${d.toVersion}`;
    case "post-traffic":
      return `all traffic to version ${d.toVersion}`;
    default:
      return `phase ${phase}`;
  }
}

function verdictText(j: Judgement): string {
  const v = j.verdict;
  if (v.kind === "breach") return v.reason;
  if (v.kind === "insufficient") return `not judged: ${v.requests} of ${v.minRequests} requests needed`;
  return `passed: error rate ${pct(j.target.errorRate)}, p99 ${j.target.p99 ?? "n/a"} ms over ${j.target.requests} requests`;
}

function judgementData(j: Judgement): Record<string, unknown> {
  return {
    window: { from: new Date(j.fromMs).toISOString(), to: new Date(j.toMs).toISOString() },
    target: j.target,
    baseline: j.baseline ?? null,
    verdict: j.verdict.kind,
  };
}
