/**
 * The invoke entry for the platform's own callers (deployment hooks and smoke invokes today;
 * triggers and the async queue next): it builds an `Invocation` with the platform's principal and
 * runs it through the invocation pipeline, the same chain the HTTP front door uses. It also owns
 * that chain's composition for server.ts: `pipeline` is what the front door runs, with the
 * authenticators added. HTTP formatting is the caller's job; this returns the outcome and the
 * version that ran.
 */
import type { FunctionSpec, InvokeOutcome } from "../../../protocol/invoke.ts";
import type { RunnerHandle } from "../../../protocol/runner.ts";
import { SYSTEM_PRINCIPAL } from "../auth/principal.ts";
import { ReservedConcurrencyGate } from "../fleet/reserved-concurrency.ts";
import type { Invocation } from "../invocation/invocation.ts";
import { InvocationPipeline } from "../invocation/pipeline.ts";
import type { MetricsRecorder } from "../metrics/metrics-recorder.ts";
import type { RoutingTable, RouteRequest } from "./routing-table.ts";

export { payloadTooLarge, validateEvent } from "../invocation/event.ts";

export interface InvokeOptions {
  requestId: string;
  traceparent?: string;
  clientContext?: string;
  /** Headers, cookies and query of the request, for aliases with an A/B rule. */
  route?: RouteRequest;
}

export interface InvokeResult {
  spec: FunctionSpec;
  outcome: InvokeOutcome;
}

export class Invoker {
  /** The invocation pipeline (without authenticators: this entry's invocations carry a principal). */
  readonly pipeline: InvocationPipeline;

  constructor(routing: RoutingTable, runner: RunnerHandle, metrics?: MetricsRecorder) {
    // server.ts hands over the runner wrapped in its reserved-concurrency gate (a component with
    // its own pub/sub lifecycle, composed there). The pipeline's reserved-concurrency stage takes
    // the slots itself and calls the runner behind the gate, so nothing is counted twice.
    const gate = runner instanceof ReservedConcurrencyGate ? runner : undefined;
    this.pipeline = new InvocationPipeline({ routing, runner: gate?.runner ?? runner, reservations: gate, metrics });
  }

  async invoke(name: string, qualifier: string | undefined, payload: Buffer, opts: InvokeOptions): Promise<InvokeResult> {
    const inv: Invocation = {
      requestId: opts.requestId,
      principal: SYSTEM_PRINCIPAL,
      name,
      qualifier,
      payload,
      route: opts.route,
      traceparent: opts.traceparent,
      clientContext: opts.clientContext,
    };
    const outcome = (await this.pipeline.handle(inv))!;
    return { spec: inv.spec!, outcome };
  }
}
