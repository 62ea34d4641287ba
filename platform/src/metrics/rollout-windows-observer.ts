/**
 * The invocation observer that feeds rollout analysis: each outcome becomes a sample in its
 * version's windows (MetricsRecorder). Throttles and lost runners say nothing about the version
 * and are not counted (sampleOf).
 */
import type { InvokeOutcome } from "../../../protocol/invoke.ts";
import type { Invocation } from "../invocation/invocation.ts";
import type { InvocationObserver } from "../invocation/observe.ts";
import { sampleOf, type MetricsRecorder } from "./metrics-recorder.ts";

export class RolloutWindowsObserver implements InvocationObserver {
  constructor(private readonly metrics: Pick<MetricsRecorder, "record">) {}

  observe(inv: Invocation, outcome: InvokeOutcome): void {
    const sample = sampleOf(outcome);
    if (sample) this.metrics.record(inv.spec!.functionName, inv.spec!.version, sample);
  }
}
