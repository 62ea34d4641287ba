/**
 * The runner as seen by the control plane. The embedded runner implements it in-process;
 * a later issue adds a remote runner reached over HTTP that implements the same interface.
 */
import type { RuntimeId } from "./runtimes.ts";
import type { FunctionSpec, InvokeOutcome, InvokeRequest } from "./invoke.ts";

export interface RuntimeAvailability {
  id: RuntimeId;
  available: boolean;
  /** What would run it: an interpreter path (process backend) or an image tag (docker backend). */
  using?: string;
  /** Language version actually found, e.g. "v20.20.2" or "3.12.1". */
  version?: string;
  /** Why it is unavailable, and what to do about it. */
  reason?: string;
}

export interface RunnerStatus {
  id: string;
  backend: "process" | "docker";
  state: "ready" | "draining" | "stopped";
  inflight: number;
  instances: number;
  /** Warm instances per function version key (see specKey). */
  warm: Record<string, number>;
}

export interface RunnerHandle {
  invoke(req: InvokeRequest): Promise<InvokeOutcome>;
  runtimes(): Promise<RuntimeAvailability[]>;
  status(): RunnerStatus;
  /**
   * Start instances of `spec` until `count` are live (at most the version's instance cap), for a
   * blue-green switch or to keep a version warm. Resolves with the number of live instances.
   */
  prewarm(spec: FunctionSpec, count: number): Promise<number>;
  /** Throws with a message naming the failing dependency when the runner cannot execute. */
  healthCheck(): Promise<void>;
  /** Stop taking new work, finish in-flight invocations, stop every instance. */
  drain(): Promise<void>;
}
