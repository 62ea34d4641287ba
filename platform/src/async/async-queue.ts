/**
 * The producer side of the async queue, the invocation pipeline's EventQueue: once the chain has
 * authenticated, authorized, checked and resolved an asynchronous invocation, this writes its
 * Queued record (concurrent enqueues share one insert: queued-records.ts; the request id is the idempotency key: a request id seen before is a duplicate,
 * counted and not queued again) and appends the event to the stream. The caller's 202 waits for
 * both, so an accepted event is on the queue: in Redis when REDIS_URL is set; with the embedded
 * (in-memory) state store the record itself keeps the event until it is final, and `recover()`
 * puts every unfinished one back on the stream when the process starts again (kill -9 included).
 */
import { ApiError } from "../../../protocol/errors.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import type { InvocationsRepository } from "../db/repositories/invocations.ts";
import type { EventQueue } from "../invocation/enqueue.ts";
import type { Invocation } from "../invocation/invocation.ts";
import { asyncStreamName, decodeQueuedEvent, encodeQueuedEvent } from "./queued-event.ts";
import { QueuedRecords } from "./queued-records.ts";

export interface AsyncQueueOptions {
  /** The cluster's key prefix, `hs:<cluster id>:`. */
  namespace: string;
  /** The stream is trimmed (approximately) to this many entries. */
  maxLen: number;
}

export class AsyncQueue implements EventQueue {
  readonly stream: string;
  /** The stream lives in this process's memory: the records keep the events (see recover). */
  private readonly embedded: boolean;
  /** Concurrent enqueues share one record insert. */
  private readonly records: QueuedRecords;

  constructor(
    private readonly state: StateStore,
    private readonly invocations: InvocationsRepository,
    private readonly opts: AsyncQueueOptions,
  ) {
    this.stream = asyncStreamName(opts.namespace);
    this.embedded = state.kind === "memory";
    this.records = new QueuedRecords(invocations);
  }

  async enqueue(inv: Invocation & { async: NonNullable<Invocation["async"]> }): Promise<void> {
    const now = new Date();
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
    let created = false;
    if (inv.async.recorded !== true) {
      const event = this.embedded ? JSON.stringify(fields) : undefined;
      created = await this.records.create({ requestId: inv.requestId, functionName: inv.name, qualifier: inv.qualifier, source: inv.async.source, createdAt: now, event });
      // The same request id again: a client's retry is counted and not queued again; a resumed one
      // (a scheduled tick fired again after a crash) is queued again while its record is still
      // Queued, since the earlier enqueue may have died before its event reached the stream. The
      // workers' take keeps that to one run; the extra entry is acked as a counted duplicate.
      if (!created && !(inv.async.resume === true && (await this.invocations.get(inv.requestId))?.status === "Queued")) {
        await this.invocations.countDuplicate(inv.requestId);
        return;
      }
    }
    try {
      await this.state.xadd(this.stream, fields, { maxLen: this.opts.maxLen });
    } catch (e) {
      if (created) await this.invocations.delete(inv.requestId).catch(() => undefined);
      throw new ApiError("ServiceUnavailable", `The event could not be queued (${(e as Error).message}); nothing was invoked. Retry the request.`);
    }
  }

  /**
   * The embedded queue after a restart: put the event of every record that is not final back on
   * the (empty, in-memory) stream. Queued ones run at once; Running and Retrying ones are taken
   * over once their dead owner's stamp is older than the stale threshold, as after any crash.
   * Does nothing with Redis, whose stream outlives the process. Returns how many were put back.
   */
  async recover(): Promise<number> {
    if (!this.embedded) return 0;
    let n = 0;
    for (const { event } of await this.invocations.unfinishedEvents()) {
      let fields: Record<string, string> | undefined;
      try {
        fields = JSON.parse(event) as Record<string, string>;
      } catch {
        fields = undefined;
      }
      if (!fields || !decodeQueuedEvent(fields)) continue;
      await this.state.xadd(this.stream, fields, { maxLen: this.opts.maxLen });
      n++;
    }
    return n;
  }
}
