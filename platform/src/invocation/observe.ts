/**
 * Stage 8, observe: the one place that sees every invocation's outcome, so metrics are recorded
 * here (the per-version windows rollout analysis reads), and function logs and traces attach here
 * next. Throttles and lost runners say nothing about the version and are not counted (sampleOf).
 */
import { sampleOf, type MetricsRecorder } from "../metrics/metrics-recorder.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";

export class ObserveStage implements InvocationHandler {
  constructor(
    private readonly next: InvocationHandler,
    private readonly metrics: Pick<MetricsRecorder, "record"> | undefined,
  ) {}

  async handle(inv: Invocation) {
    const outcome = await this.next.handle(inv);
    if (this.metrics && outcome) {
      const sample = sampleOf(outcome);
      if (sample) this.metrics.record(inv.spec!.functionName, inv.spec!.version, sample);
    }
    return outcome;
  }
}
