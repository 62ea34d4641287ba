/**
 * The invoke entry for the platform's own callers (deployment hooks, smoke invokes, the async
 * queue's workers, destinations and scheduled triggers): it builds an `Invocation` with the platform's principal and
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
import type { EventQueue } from "../invocation/enqueue.ts";
import type { RoutingTable, RouteRequest } from "./routing-table.ts";

export { payloadTooLarge, validateEvent } from "../invocation/event.ts";

export interface InvokeOptions {
  requestId: string;
  traceparent?: string;
  clientContext?: string;
  /** Headers, cookies and query of the request, for aliases with an A/B rule. */
  route?: RouteRequest;
}

export interface EnqueueOptions {
  /** The idempotency key: a request id already queued is not queued again. */
  requestId: string;
  /** `async` or the trigger's id. */
  source: string;
  /** The caller already wrote the Queued record. */
  recorded?: boolean;
  /** Queue again if the request id's record is still Queued (an enqueue that may have died half-way). */
  resume?: boolean;
  traceparent?: string;
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
   * or every invocation would be counted twice. `queue` takes asynchronous invocations (this entry's
   * `enqueue`, and the front door's InvocationType Event).
   */
  constructor(
    routing: RoutingTable,
    runner: RunnerHandle,
    observers: readonly InvocationObserver[] = [],
    reservations?: ConcurrencyReservations,
    queue?: EventQueue,
    onObserverError?: (err: unknown) => void,
  ) {
    this.pipeline = new InvocationPipeline({ routing, runner, reservations, observers, queue, onObserverError });
  }

  async invoke(name: string, qualifier: string | undefined, payload: Buffer, opts: InvokeOptions): Promise<InvokeResult> {
    const inv = internalInvocation(name, qualifier, payload, opts);
    const outcome = (await this.pipeline.handle(inv))!;
    return { spec: inv.spec!, outcome };
  }

  /**
   * Queue an asynchronous invocation through the same chain (checked against the 256 KB limit and
   * resolved, then queued). Rejects with the chain's ApiError (FunctionNotFound...) when it cannot be.
   */
  async enqueue(name: string, qualifier: string | undefined, payload: Buffer, opts: EnqueueOptions): Promise<void> {
    const inv = internalInvocation(name, qualifier, payload, opts);
    inv.async = { source: opts.source, recorded: opts.recorded, resume: opts.resume };
    await this.pipeline.handle(inv);
  }
}

/** An invocation of this entry: the platform's principal, the event given. */
function internalInvocation(name: string, qualifier: string | undefined, payload: Buffer, opts: InvokeOptions): Invocation {
  return {
    requestId: opts.requestId,
    principal: SYSTEM_PRINCIPAL,
    name,
    qualifier,
    payload,
    route: opts.route,
    traceparent: opts.traceparent,
    clientContext: opts.clientContext,
  };
}
