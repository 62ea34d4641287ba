/**
 * Rollout analysis: judge the new version's window of metrics against absolute thresholds and
 * against the old version (the baseline) in the same window. Pure; the orchestrator supplies the
 * windows. A window with fewer than minRequests on the new version is not judged at all, and
 * relative checks need minRequests on the baseline too, so noise on a trickle of traffic neither
 * rolls back nor promotes.
 */
import type { WindowStats } from "../metrics/metrics-reader.ts";
import { formatMs } from "../../../protocol/api/durations.ts";

export interface Thresholds {
  maxErrorRate: number;
  maxP99LatencyMs?: number;
  maxErrorRateIncrease?: number;
  maxP99Increase?: number;
  minRequests: number;
}

export type Verdict =
  | { kind: "insufficient"; requests: number; minRequests: number }
  | { kind: "pass" }
  | { kind: "breach"; reason: string };

export interface AnalysisSubject {
  version: number;
  baselineVersion: number | null;
  windowMs: number;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ms = (x: number) => `${Math.round(x)} ms`;

export function evaluate(t: Thresholds, target: WindowStats, baseline: WindowStats | undefined, s: AnalysisSubject): Verdict {
  if (target.requests < t.minRequests) return { kind: "insufficient", requests: target.requests, minRequests: t.minRequests };
  const over = `over ${formatMs(s.windowMs)}`;
  const rate = target.errorRate ?? 0;
  if (rate > t.maxErrorRate) {
    return {
      kind: "breach",
      reason: `error rate ${pct(rate)} of version ${s.version} exceeds maxErrorRate ${pct(t.maxErrorRate)} (${target.errors} errors in ${target.requests} requests ${over})`,
    };
  }
  if (t.maxP99LatencyMs !== undefined && target.p99 !== null && target.p99 > t.maxP99LatencyMs) {
    return {
      kind: "breach",
      reason: `p99 latency ${ms(target.p99)} of version ${s.version} exceeds maxP99LatencyMs ${ms(t.maxP99LatencyMs)} (${target.requests} requests ${over})`,
    };
  }
  const comparable = baseline !== undefined && s.baselineVersion !== null && baseline.requests >= t.minRequests;
  if (comparable && t.maxErrorRateIncrease !== undefined) {
    const base = baseline.errorRate ?? 0;
    if (rate - base > t.maxErrorRateIncrease) {
      return {
        kind: "breach",
        reason: `error rate ${pct(rate)} of version ${s.version} exceeds version ${s.baselineVersion}'s ${pct(base)} by more than maxErrorRateIncrease ${pct(t.maxErrorRateIncrease)} (${over})`,
      };
    }
  }
  if (comparable && t.maxP99Increase !== undefined && target.p99 !== null && baseline.p99 !== null) {
    const limit = baseline.p99 * (1 + t.maxP99Increase);
    if (target.p99 > limit) {
      return {
        kind: "breach",
        reason: `p99 latency ${ms(target.p99)} of version ${s.version} exceeds version ${s.baselineVersion}'s ${ms(baseline.p99)} by more than maxP99Increase ${pct(t.maxP99Increase)} (${over})`,
      };
    }
  }
  return { kind: "pass" };
}
