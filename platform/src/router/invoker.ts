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
import type { Invocation } from "../invocation/invocation.ts";
import { InvocationPipeline } from "../invocation/pipeline.ts";
import type { ConcurrencyReservations } from "../invocation/reserved-concurrency.ts";
import type { InvocationObserver } from "../invocation/observe.ts";
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

  /**
   * `runner` is the bare runner (embedded or fleet); `reservations` the reserved-concurrency
   * counter (server.ts's ReservedConcurrencyGate, which has its own pub/sub lifecycle). The
   * pipeline's stage takes and gives back the slots, so pass the runner that is not behind the gate,
   * or every invocation would be counted twice.
   */
  constructor(routing: RoutingTable, runner: RunnerHandle, observers: readonly InvocationObserver[] = [], reservations?: ConcurrencyReservations) {
    this.pipeline = new InvocationPipeline({ routing, runner, reservations, observers });
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
