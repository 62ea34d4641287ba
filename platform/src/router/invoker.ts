/**
 * The invoke path in the control plane: validate the event, resolve the qualifier in the in-memory
 * routing table, hand the invocation to a runner, and record the outcome for rollout analysis.
 * HTTP formatting (HotSwap or Lambda style) is the caller's job; this returns the runner's outcome
 * and the version that ran.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../protocol/limits.ts";
import type { FunctionSpec, InvokeOutcome } from "../../../protocol/invoke.ts";
import type { RunnerHandle } from "../../../protocol/runner.ts";
import type { RoutingTable, RouteRequest } from "./routing-table.ts";
import { sampleOf, type MetricsRecorder } from "../metrics/metrics-recorder.ts";

const EMPTY_EVENT = Buffer.from("{}");

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

export function payloadTooLarge(size?: number): ApiError {
  const got = size === undefined ? "" : ` is ${size} bytes and`;
  return new ApiError("PayloadTooLarge", `The event${got} exceeds the ${MAX_SYNC_PAYLOAD_BYTES} byte (6 MB) limit for synchronous invocations. Pass large data by reference (e.g. an object key).`);
}

export class Invoker {
  constructor(
    private readonly routing: RoutingTable,
    private readonly runner: RunnerHandle,
    private readonly metrics?: MetricsRecorder,
  ) {}

  /** Resolve without invoking (Lambda's DryRun): throws the same errors a real invoke would. */
  resolve(name: string, qualifier?: string, route?: RouteRequest): FunctionSpec {
    return this.routing.resolve(name, qualifier, route).spec;
  }

  async invoke(name: string, qualifier: string | undefined, payload: Buffer, opts: InvokeOptions): Promise<InvokeResult> {
    const event = validateEvent(payload);
    const { spec } = this.routing.resolve(name, qualifier, opts.route);
    const outcome = await this.runner.invoke({
      spec,
      requestId: opts.requestId,
      payload: event,
      traceparent: opts.traceparent,
      clientContext: opts.clientContext,
    });
    if (this.metrics) {
      const sample = sampleOf(outcome);
      if (sample) this.metrics.record(spec.functionName, spec.version, sample);
    }
    return { spec, outcome };
  }
}
