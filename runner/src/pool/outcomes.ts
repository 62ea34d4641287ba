/**
 * How the pool turns instance results and start failures into InvokeOutcomes, and the
 * messages users see when a version is out of capacity. Kept apart from the scheduling
 * logic so the wording can change without touching it.
 */
import type { FunctionSpec, InvokeOutcome, PlatformErrorCode, StartKind } from "../../../protocol/invoke.ts";
import { BackendUnavailableError, InitError, type InstanceResult } from "../backends/backend.ts";

export type PlatformErrorOutcome = Extract<InvokeOutcome, { kind: "platform-error" }>;

export function platformError(code: PlatformErrorCode, message: string): PlatformErrorOutcome {
  return { kind: "platform-error", code, message };
}

/** The instance's result as an outcome; platform errors keep whatever start info we have. */
export function toOutcome(r: InstanceResult, coldStart: boolean, start: StartKind, durationMs: number): InvokeOutcome {
  if (r.kind === "platform-error") return { kind: "platform-error", code: r.code, message: r.message, coldStart, start, durationMs };
  const outcome: InvokeOutcome = { kind: r.kind, payload: r.payload, coldStart, start, durationMs };
  if (r.streamed !== undefined) outcome.streamed = r.streamed;
  return outcome;
}

/** Lambda's wording, so clients that match on it keep working. */
export function timeoutMessage(spec: FunctionSpec): string {
  return `Task timed out after ${spec.timeout.toFixed(2)} seconds`;
}

/** For invocations that shared an instance (instanceConcurrency > 1) with one that timed out. */
export function collateralMessage(spec: FunctionSpec): string {
  return `the instance was killed because another invocation on it timed out after ${spec.timeout} seconds; retry the invocation`;
}

/** A failed start (backend.start, stem specialisation, code download) as an outcome. */
export function startFailure(err: unknown, spec: FunctionSpec): PlatformErrorOutcome {
  if (err instanceof InitError) return { ...platformError("InitError", err.message), errorDocument: err.document };
  if (err instanceof BackendUnavailableError) return platformError(err.code, err.message);
  const msg = err instanceof Error ? err.message : String(err);
  return platformError("InternalError", `could not start an instance of ${describe(spec)}: ${msg}`);
}

export function describe(spec: FunctionSpec): string {
  return `function "${spec.functionName}" version ${spec.version}`;
}

export function queueFullMessage(spec: FunctionSpec, cap: number, queueSize: number): string {
  return (
    `${describe(spec)} is at its instance cap (${cap} instances busy, ${queueSize} invocations already queued). ` +
    `Raise the function's maxInstances or the runner's RUNNER_MAX_INSTANCES_PER_VERSION / HOTSWAP_QUEUE_SIZE, or retry later.`
  );
}

export function queueTimeoutMessage(spec: FunctionSpec, cap: number, waitedMs: number): string {
  return (
    `${describe(spec)} is at its instance cap (${cap} instances busy) and no instance became free within ${waitedMs} ms. ` +
    `Raise the function's maxInstances or the runner's RUNNER_MAX_INSTANCES_PER_VERSION / HOTSWAP_QUEUE_TIMEOUT_MS, or retry later.`
  );
}

export const DRAINING_MESSAGE = "runner is draining: it takes no new invocations; retry on another runner";
export const CLOSED_MESSAGE = "runner is shutting down: the invocation was not run; retry on another runner";
