/**
 * The end of the chain: hand the invocation to the runner (the embedded one or the fleet, which
 * chooses a runner and an instance) and return its outcome.
 */
import type { RunnerHandle } from "../../../protocol/runner.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";

export class RunnerCall implements InvocationHandler {
  constructor(private readonly runner: Pick<RunnerHandle, "invoke">) {}

  handle(inv: Invocation) {
    return this.runner.invoke({
      spec: inv.spec!,
      requestId: inv.requestId,
      payload: inv.payload!,
      traceparent: inv.traceparent,
      clientContext: inv.clientContext,
      qualifier: inv.invokedQualifier,
      logTail: inv.logTail,
      stream: inv.stream,
    });
  }
}
