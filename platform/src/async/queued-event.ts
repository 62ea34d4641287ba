/**
 * An asynchronous invocation as it waits on the async queue: one state-store stream entry per event
 * (`hs:<cluster>:async:events`, read by the `async-workers` consumer group on every replica).
 * Retries do not add entries: the entry stays pending until its outcome is recorded, and the
 * invocation record (the database) says how many attempts were made and when the next is due.
 */
export const ASYNC_GROUP = "async-workers";

/** The stream of a cluster's asynchronous invocations; `namespace` is `hs:<cluster id>:`. */
export function asyncStreamName(namespace: string): string {
  return `${namespace}async:events`;
}

export interface QueuedEvent {
  requestId: string;
  functionName: string;
  /** As the caller gave it; absent: alias live if it exists, else $LATEST, resolved at each attempt. */
  qualifier?: string;
  /** The event (JSON text, at most 256 KB). */
  payload: string;
  /** `async` or the trigger's id. */
  source: string;
  /** Epoch ms when it was queued: the event's age counts from here. */
  enqueuedAt: number;
  traceparent?: string;
  clientContext?: string;
}

export function encodeQueuedEvent(e: QueuedEvent): Record<string, string> {
  const f: Record<string, string> = {
    requestId: e.requestId,
    functionName: e.functionName,
    payload: e.payload,
    source: e.source,
    enqueuedAt: String(e.enqueuedAt),
  };
  if (e.qualifier !== undefined) f.qualifier = e.qualifier;
  if (e.traceparent !== undefined) f.traceparent = e.traceparent;
  if (e.clientContext !== undefined) f.clientContext = e.clientContext;
  return f;
}

/** Undefined when the entry is not an event this module wrote (it is then acked and dropped). */
export function decodeQueuedEvent(f: Record<string, string>): QueuedEvent | undefined {
  const enqueuedAt = Number(f.enqueuedAt);
  if (!f.requestId || !f.functionName || f.payload === undefined || !f.source || !Number.isFinite(enqueuedAt)) return undefined;
  return {
    requestId: f.requestId,
    functionName: f.functionName,
    qualifier: f.qualifier,
    payload: f.payload,
    source: f.source,
    enqueuedAt,
    traceparent: f.traceparent,
    clientContext: f.clientContext,
  };
}
