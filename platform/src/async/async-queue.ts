/**
 * The producer side of the async queue, the invocation pipeline's EventQueue: once the chain has
 * authenticated, authorized, checked and resolved an asynchronous invocation, this writes its
 * Queued record (the request id is the idempotency key: a request id seen before is a duplicate,
 * counted and not queued again) and appends the event to the stream. The caller's 202 waits for
 * both, so an accepted event is on the queue (in Redis when REDIS_URL is set; the embedded store
 * keeps it in this process's memory, lost if the process dies).
 */
import { ApiError } from "../../../protocol/errors.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import type { InvocationsRepository } from "../db/repositories/invocations.ts";
import type { EventQueue } from "../invocation/enqueue.ts";
import type { Invocation } from "../invocation/invocation.ts";
import { asyncStreamName, encodeQueuedEvent } from "./queued-event.ts";

export interface AsyncQueueOptions {
  /** The cluster's key prefix, `hs:<cluster id>:`. */
  namespace: string;
  /** The stream is trimmed (approximately) to this many entries. */
  maxLen: number;
}

export class AsyncQueue implements EventQueue {
  readonly stream: string;

  constructor(
    private readonly state: StateStore,
    private readonly invocations: InvocationsRepository,
    private readonly opts: AsyncQueueOptions,
  ) {
    this.stream = asyncStreamName(opts.namespace);
  }

  async enqueue(inv: Invocation & { async: NonNullable<Invocation["async"]> }): Promise<void> {
    const now = new Date();
    const recorded = inv.async.recorded === true;
    if (!recorded) {
      const created = await this.invocations.createQueued({ requestId: inv.requestId, functionName: inv.name, qualifier: inv.qualifier, source: inv.async.source, createdAt: now });
      if (!created) {
        // The same request id again (a client's retry): already queued once, so not again.
        await this.invocations.countDuplicate(inv.requestId);
        return;
      }
    }
    const fields = encodeQueuedEvent({
      requestId: inv.requestId,
      functionName: inv.name,
      qualifier: inv.qualifier,
      payload: inv.payload!.toString("utf8"),
      source: inv.async.source,
      enqueuedAt: now.getTime(),
      traceparent: inv.traceparent,
      clientContext: inv.clientContext,
    });
    try {
      await this.state.xadd(this.stream, fields, { maxLen: this.opts.maxLen });
    } catch (e) {
      if (!recorded) await this.invocations.delete(inv.requestId).catch(() => undefined);
      throw new ApiError("ServiceUnavailable", `The event could not be queued (${(e as Error).message}); nothing was invoked. Retry the request.`);
    }
  }
}
