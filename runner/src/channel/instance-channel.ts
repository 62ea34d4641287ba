/**
 * The one interface a backend uses to talk to a running instance, whatever the protocol
 * (fast channel or Lambda Runtime API) and whatever hosts the instance (process or container).
 */
import type { InstanceInvokeRequest, InstanceResult } from "../backends/backend.ts";

export interface InstanceChannel {
  /**
   * Resolves when the instance can take invocations: after `ready` on the fast channel, at the
   * first /next on the Runtime API. Rejects with InitError when the handler failed to load, or
   * with ChannelClosedError when the channel ended first (the backend then knows why).
   */
  readonly ready: Promise<void>;
  /** Deliver one invocation. Never rejects; failures come back as platform-error results. */
  invoke(req: InstanceInvokeRequest): Promise<InstanceResult>;
  /**
   * Resolve every pending (and every later) invocation with `result`: the instance is gone.
   * Invocations still queued in the channel, which the instance never received (the Runtime
   * API's pull model), get `queuedResult` instead when given.
   */
  fail(result: InstanceResult, queuedResult?: InstanceResult): void;
  /** Invocations delivered or queued and not yet answered. */
  readonly inflight: number;
  /**
   * False once the instance said it is exiting (after a fatal error) or the channel ended: an
   * invocation sent now would never reach the handler. Unset means the channel cannot tell.
   */
  readonly accepting?: boolean;
  /** Release the transport (socket or HTTP server). Pending invocations are failed. */
  close(): Promise<void>;
}

/** The channel ended before the instance said it was ready. */
export class ChannelClosedError extends Error {
  constructor(message = "the instance closed its channel") {
    super(message);
    this.name = "ChannelClosedError";
  }
}

/** Result used when a channel ends and nobody said why. Backends supply a precise one instead. */
export const CHANNEL_CLOSED_RESULT: InstanceResult = {
  kind: "platform-error",
  code: "InstanceCrashed",
  message: "The instance closed its channel while the invocation was running.",
};

/** `result` for an invocation that never reached the instance: safe to run elsewhere. */
export function undelivered(result: InstanceResult): InstanceResult {
  return result.kind === "platform-error" ? { ...result, undelivered: true } : result;
}

/** Lambda's answer when a function returns more than the payload limit. */
export function responseTooLarge(bytes: number, limit: number): InstanceResult {
  return {
    kind: "function-error",
    payload: Buffer.from(
      JSON.stringify({
        errorType: "Function.ResponseSizeTooLarge",
        errorMessage: `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${limit} bytes).`,
        stackTrace: [],
      }),
    ),
  };
}
