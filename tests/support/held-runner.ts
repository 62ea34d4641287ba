/**
 * A runner double whose invocations stay in flight until the test lets them finish: for the
 * reserved-concurrency gate and the invoker, which must be seen while invocations are running.
 */
import type { InvokeOutcome, InvokeRequest } from "../../protocol/invoke.ts";
import type { RunnerHandle } from "../../protocol/runner.ts";
import { SUCCESS } from "./invocation.ts";

export interface HeldRunner {
  runner: RunnerHandle;
  /** The requests it received, in order. */
  sent: InvokeRequest[];
  /** Finish every invocation in flight with `outcome` (SUCCESS unless given). */
  releaseAll(outcome?: InvokeOutcome): void;
}

/** A runner whose invocations finish only when releaseAll() is called. */
export function heldRunner(): HeldRunner {
  const waiting: Array<(o: InvokeOutcome) => void> = [];
  const sent: InvokeRequest[] = [];
  const runner = {
    invoke: (req: InvokeRequest) =>
      new Promise<InvokeOutcome>((resolve) => {
        sent.push(req);
        waiting.push(resolve);
      }),
    runtimes: async () => [],
    status: () => ({ id: "x", backend: "process" as const, state: "ready" as const, inflight: 0, instances: 0, warm: {} }),
    prewarm: async () => 0,
    healthCheck: async () => {},
    drain: async () => {},
  } satisfies RunnerHandle;
  return { runner, sent, releaseAll: (outcome = SUCCESS) => waiting.splice(0).forEach((resolve) => resolve(outcome)) };
}
