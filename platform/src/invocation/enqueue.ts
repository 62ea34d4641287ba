/**
 * Stage 7, enqueue: an asynchronous invocation (Lambda's InvocationType Event, a trigger's tick)
 * stops here, once authenticated, authorized, checked (256 KB event) and resolved to an existing
 * function, and its event goes onto the async queue instead of to a runner. The queue's workers run
 * it later through this same chain, as an internal entry. Synchronous invocations pass through.
 */
import { ApiError } from "../../../protocol/errors.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";

/** Where asynchronous invocations go (platform/src/async's AsyncQueue). */
export interface EventQueue {
  /** Resolves once the event is durably queued (or was already, for a request id seen before). */
  enqueue(inv: Invocation & { async: NonNullable<Invocation["async"]> }): Promise<void>;
}

const QUEUED = Promise.resolve(undefined);

export class EnqueueStage implements InvocationHandler {
  constructor(
    private readonly next: InvocationHandler,
    private readonly queue: EventQueue | undefined,
  ) {}

  handle(inv: Invocation) {
    if (inv.async === undefined) return this.next.handle(inv);
    if (!this.queue) throw new ApiError("ServiceUnavailable", "Asynchronous invocation is not available on this control plane; invoke with RequestResponse.");
    return this.queue.enqueue(inv as Invocation & { async: NonNullable<Invocation["async"]> }).then(() => QUEUED);
  }
}
