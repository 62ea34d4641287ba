/**
 * Analysis of one deployment at one moment: reads the new and old versions' metric windows and
 * judges them (analysis.ts). Two windows matter:
 *   - the sliding window (the last `interval`, never before traffic reached the new version),
 *     judged on every tick so a bad version is caught as soon as minRequests have failed;
 *   - the step window (since the current step began), judged before the rollout advances, so
 *     every step is promoted on evidence from that step, never unevaluated.
 */
import type { Deployment } from "../db/index.ts";
import type { MetricsReader, WindowStats } from "../metrics/metrics-reader.ts";
import { toStats } from "../metrics/metrics-reader.ts";
import { evaluate, type Thresholds, type Verdict } from "./analysis.ts";
import { parseDuration } from "../../../protocol/api/durations.ts";
import { planOf } from "./plan.ts";

export interface AnalysisSettings extends Thresholds {
  interval: string;
}

export interface Judgement {
  verdict: Verdict;
  fromMs: number;
  toMs: number;
  target: WindowStats;
  baseline: WindowStats | undefined;
}

export function settingsOf(d: Pick<Deployment, "analysis">): AnalysisSettings {
  return d.analysis as unknown as AnalysisSettings;
}

export function intervalMs(d: Pick<Deployment, "analysis">): number {
  return parseDuration(settingsOf(d).interval) ?? 30_000;
}

export class RolloutAnalyzer {
  constructor(private readonly metrics: MetricsReader) {}

  /** Judge [fromMs, toMs) for the deployment's new version against its old one. */
  async judge(d: Deployment, fromMs: number, toMs: number): Promise<Judgement> {
    const [target, baseline] = await Promise.all([
      this.metrics.window(d.functionName, d.toVersion, fromMs, toMs).then(toStats),
      d.fromVersion === null || d.fromVersion === d.toVersion
        ? Promise.resolve(undefined)
        : this.metrics.window(d.functionName, d.fromVersion, fromMs, toMs).then(toStats),
    ]);
    const verdict = evaluate(settingsOf(d), target, baseline, {
      version: d.toVersion,
      baselineVersion: d.fromVersion,
      windowMs: toMs - fromMs,
    });
    return { verdict, fromMs, toMs, target, baseline };
  }

  /** The last `interval`, clipped to when traffic reached the new version. */
  sliding(d: Deployment, now: number): Promise<Judgement> {
    return this.judge(d, Math.max(this.trafficStart(d), now - intervalMs(d)), now);
  }

  /** Everything since the current step began. */
  step(d: Deployment, now: number): Promise<Judgement> {
    const began = d.phaseStartedAt?.getTime() ?? now;
    return this.judge(d, Math.max(this.trafficStart(d), began), now);
  }

  private trafficStart(d: Deployment): number {
    return planOf(d).trafficStartedAt ?? d.phaseStartedAt?.getTime() ?? d.createdAt.getTime();
  }
}
