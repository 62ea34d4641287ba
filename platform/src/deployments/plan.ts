/**
 * The rollout plan, as pure functions of a deployment's persisted state. The planned traffic
 * share of the new version follows from (strategy, config, phase, step, plan) alone, never from
 * the clock, so a leader that takes over after a crash re-derives exactly the weights the
 * deployment planned and can only ever write those.
 *
 * Phases: pending → [pre-traffic] → traffic phases → post-traffic → [bake] → done, with
 * rolling-back / failing as the way out. Traffic phases by strategy:
 *   Direct     post-traffic (100 %)
 *   Canary     canary (canaryPercentage) for canaryDuration
 *   Linear     linear step n (n × stepPercentage) every stepInterval
 *   Rolling    rolling step n (n batches of runners) every batchInterval
 *   BlueGreen  prewarm → smoke (0 %) → post-traffic (100 %) → bake for rollbackWindow
 *   ABTesting  ab (sticky split) until promoted or rolled back
 */
import type { AbTestRule, RoutingConfig } from "../db/schema.ts";
import type { Deployment } from "../db/index.ts";
import type { AliasState } from "../functions/alias-service.ts";
import { parseDuration } from "../../../protocol/api/durations.ts";
import type { ABTestingConfig, CanaryConfig, LinearConfig, RollingConfig } from "../../../protocol/api/deployments.ts";

export type Phase =
  | "pending"
  | "pre-traffic"
  | "prewarm"
  | "smoke"
  | "canary"
  | "linear"
  | "rolling"
  | "ab"
  | "post-traffic"
  | "bake"
  | "rolling-back"
  | "failing"
  | "done";

/** Phases where traffic is on the new version and analysis can roll back. */
export const ANALYSED_PHASES: ReadonlySet<string> = new Set(["canary", "linear", "rolling", "ab", "bake"]);
/** Phases before any traffic moved: the alias is still exactly as it was. */
const UNTOUCHED_PHASES: ReadonlySet<string> = new Set(["pending", "pre-traffic", "prewarm", "smoke", "rolling-back", "failing"]);

/** Facts fixed when the deployment starts, persisted in `plan`. */
export interface PlanFacts {
  /** Rolling: runners counted at start, and runners per batch. */
  runners?: number;
  batchRunners?: number;
  /** BlueGreen: warm instances of the old version at start (the target is prewarmed to this). */
  warmCount?: number;
  /** Epoch ms when traffic first reached the new version (analysis ignores earlier metrics). */
  trafficStartedAt?: number;
}

export type AliasSnapshot = { version: number; routingConfig: RoutingConfig; description: string } | null;

export function planOf(d: Pick<Deployment, "plan">): PlanFacts {
  return d.plan as PlanFacts;
}

export function aliasBeforeOf(d: Pick<Deployment, "aliasBefore">): AliasSnapshot {
  return (d.aliasBefore as AliasSnapshot) ?? null;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Runners per batch for a Rolling deployment over `runners` runners. */
export function batchRunners(config: RollingConfig, runners: number): number {
  if (config.batchSize !== undefined) return Math.min(runners, config.batchSize);
  return Math.max(1, Math.ceil((runners * config.batchPercentage!) / 100));
}

/** The new version's share of traffic (0..1) the deployment plans for a phase and step. */
export function plannedShare(d: Pick<Deployment, "strategy" | "config" | "plan">, phase: string, step: number): number {
  if (UNTOUCHED_PHASES.has(phase)) return 0;
  switch (phase) {
    case "canary":
      return round6((d.config as CanaryConfig).canaryPercentage / 100);
    case "linear":
      return Math.min(1, round6((step * (d.config as LinearConfig).stepPercentage) / 100));
    case "rolling": {
      const p = planOf(d);
      return Math.min(1, round6((step * (p.batchRunners ?? 1)) / (p.runners ?? 1)));
    }
    case "ab":
      return round6((d.config as ABTestingConfig).variantPercentage / 100);
    default:
      // post-traffic, bake, done
      return 1;
  }
}

/** The first phase and step once the pre-traffic hook (if any) passed. */
export function firstTrafficPhase(d: Pick<Deployment, "strategy" | "config" | "plan">): { phase: Phase; step: number } {
  switch (d.strategy) {
    case "Direct":
      return { phase: "post-traffic", step: 0 };
    case "Canary":
      return { phase: "canary", step: 1 };
    case "ABTesting":
      return { phase: "ab", step: 1 };
    case "BlueGreen":
      return { phase: "prewarm", step: 0 };
    case "Linear":
    case "Rolling": {
      const phase = d.strategy === "Linear" ? "linear" : "rolling";
      return plannedShare(d, phase, 1) >= 1 ? { phase: "post-traffic", step: 0 } : { phase, step: 1 };
    }
  }
}

/** The phase after a timed traffic phase's step passed its analysis. */
export function nextTrafficPhase(d: Pick<Deployment, "strategy" | "config" | "plan">, phase: string, step: number): { phase: Phase; step: number } {
  if (phase === "linear" || phase === "rolling") {
    return plannedShare(d, phase, step + 1) >= 1 ? { phase: "post-traffic", step: 0 } : { phase, step: step + 1 };
  }
  if (phase === "bake") return { phase: "done", step: 0 };
  return { phase: "post-traffic", step: 0 };
}

/** How long a timed phase step lasts, in ms; undefined for phases that wait for something else. */
export function stepDurationMs(d: Pick<Deployment, "strategy" | "config">, phase: string): number | undefined {
  const c = d.config as Record<string, string | undefined>;
  const key = { canary: "canaryDuration", linear: "stepInterval", rolling: "batchInterval", bake: "rollbackWindow" }[phase];
  return key && c[key] !== undefined ? parseDuration(c[key]) : undefined;
}

/** The alias state for a planned share of the new version. */
export function aliasStateFor(d: Pick<Deployment, "id" | "config" | "toVersion" | "aliasBefore" | "plan" | "strategy">, phase: string, step: number): AliasState | null {
  const before = aliasBeforeOf(d);
  const share = plannedShare(d, phase, step);
  if (share === 0) return before;
  const description = before?.description ?? "";
  if (share >= 1 || before === null) {
    return { version: d.toVersion, routingConfig: { additionalVersionWeights: {} }, description };
  }
  if (phase === "ab") {
    const c = d.config as ABTestingConfig;
    const abTest: AbTestRule = {
      variantVersion: d.toVersion,
      variantWeight: share,
      key: c.key.header !== undefined ? { header: c.key.header.toLowerCase() } : c.key.cookie !== undefined ? { cookie: c.key.cookie } : { query: c.key.query! },
      salt: d.id,
    };
    return { version: before.version, routingConfig: { additionalVersionWeights: {}, abTest }, description };
  }
  return { version: before.version, routingConfig: { additionalVersionWeights: { [String(d.toVersion)]: share } }, description };
}

/** Traffic share per version for an alias state, as the deployment view reports it. */
export function weightsOf(state: AliasState | null): Record<string, number> {
  if (state === null) return {};
  const out: Record<string, number> = {};
  let rest = 1;
  const ab = state.routingConfig.abTest;
  if (ab) {
    out[String(ab.variantVersion)] = ab.variantWeight;
    rest -= ab.variantWeight;
  }
  for (const [v, w] of Object.entries(state.routingConfig.additionalVersionWeights)) {
    if (w <= 0) continue;
    out[v] = (out[v] ?? 0) + w;
    rest -= w;
  }
  out[String(state.version)] = round6((out[String(state.version)] ?? 0) + Math.max(0, rest));
  return out;
}

/** True when two alias states route identically (descriptions included, timestamps not). */
export function sameAliasState(a: AliasState | null, b: AliasState | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.version !== b.version || a.description !== b.description) return false;
  const wa = a.routingConfig.additionalVersionWeights;
  const wb = b.routingConfig.additionalVersionWeights;
  const keys = new Set([...Object.keys(wa), ...Object.keys(wb)]);
  for (const k of keys) if (Math.abs((wa[k] ?? 0) - (wb[k] ?? 0)) > 1e-9) return false;
  return JSON.stringify(a.routingConfig.abTest ?? null) === JSON.stringify(b.routingConfig.abTest ?? null);
}

/** Progress in percent: the new version's planned share of traffic. */
export function progressOf(d: Pick<Deployment, "strategy" | "config" | "plan">, phase: string, step: number): number {
  return phase === "done" ? 100 : Math.round(plannedShare(d, phase, step) * 100);
}
