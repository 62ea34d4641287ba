/**
 * Stage 8, observe: the one place that sees every invocation's outcome. It hands each outcome to
 * the observers composed with the pipeline (the per-version windows rollout analysis reads,
 * Prometheus series, usage, traces), in order. Observers are synchronous and must not throw: one
 * that does is contained here, so observing never changes what the caller gets.
 */
import type { InvokeOutcome } from "../../../protocol/invoke.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";

export interface InvocationObserver {
  /**
   * Called once per invocation that reached the runner (not for dry runs), after its outcome.
   * `startedAt` is `performance.now()` when the invocation entered this stage.
   */
  observe(inv: Invocation, outcome: InvokeOutcome, startedAt: number): void;
}

export class ObserveStage implements InvocationHandler {
  constructor(
    private readonly next: InvocationHandler,
    private readonly observers: readonly InvocationObserver[],
    private readonly onObserverError: (err: unknown) => void = () => {},
  ) {}

  async handle(inv: Invocation) {
    const startedAt = performance.now();
    const outcome = await this.next.handle(inv);
    if (outcome) {
      for (const o of this.observers) {
        try {
          o.observe(inv, outcome, startedAt);
        } catch (err) {
          this.onObserverError(err);
        }
      }
    }
    return outcome;
  }
}
