/**
 * Stage 5, the event: read it from the entry's source when it was not given (the HTTP body,
 * bounded at 6 MB), then check it: at most 6 MB (256 KB for an asynchronous invocation, as in
 * Lambda), valid JSON, and an empty body is `{}`.
 * A dry run skips this: it only resolves.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../protocol/limits.ts";
import { MAX_ASYNC_PAYLOAD_BYTES } from "../../../protocol/api/invocations.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";

const EMPTY_EVENT = Buffer.from("{}");

export class EventStage implements InvocationHandler {
  constructor(private readonly next: InvocationHandler) {}

  handle(inv: Invocation) {
    if (inv.dryRun) return this.next.handle(inv);
    if (inv.payload === undefined) return this.read(inv);
    inv.payload = validateEvent(inv.payload);
    if (inv.async) checkAsyncSize(inv.payload);
    return this.next.handle(inv);
  }

  private async read(inv: Invocation) {
    if (!inv.source) throw new ApiError("InvalidRequestContent", "The invocation carries no event.");
    inv.payload = validateEvent(await inv.source.readPayload());
    if (inv.async) checkAsyncSize(inv.payload);
    return await this.next.handle(inv); // awaited: cheaper than resolving with a promise
  }
}

/** Throws PayloadTooLarge or InvalidRequestContent; returns the event bytes to send. */
export function validateEvent(payload: Buffer): Buffer {
  if (payload.length > MAX_SYNC_PAYLOAD_BYTES) {
    throw payloadTooLarge(payload.length);
  }
  if (payload.length === 0) return EMPTY_EVENT;
  try {
    JSON.parse(payload.toString("utf8"));
  } catch (e) {
    throw new ApiError("InvalidRequestContent", `The event must be valid JSON: ${(e as Error).message}.`);
  }
  return payload;
}

/** The 413 for an event over the limit; `size` when it is known (a declared Content-Length). */
export function payloadTooLarge(size?: number): ApiError {
  const got = size === undefined ? "" : ` is ${size} bytes and`;
  return new ApiError("PayloadTooLarge", `The event${got} exceeds the ${MAX_SYNC_PAYLOAD_BYTES} byte (6 MB) limit for synchronous invocations. Pass large data by reference (e.g. an object key).`);
}

/** The 413 for an asynchronous event over Lambda's 256 KB. */
function checkAsyncSize(payload: Buffer): void {
  if (payload.length <= MAX_ASYNC_PAYLOAD_BYTES) return;
  throw new ApiError("PayloadTooLarge", `The event is ${payload.length} bytes and exceeds the ${MAX_ASYNC_PAYLOAD_BYTES} byte (256 KB) limit for asynchronous invocations. Pass large data by reference (e.g. an object key), or invoke synchronously (6 MB).`);
}
