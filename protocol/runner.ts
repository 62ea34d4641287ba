/**
 * The runner as seen by the control plane (RunnerHandle: the embedded runner in-process, the fleet
 * through runner clients), and a runner node as the process hosting it drives it (RunnerNode: what
 * `hotswap server --embedded-runner` hands to the control plane, and what `hotswap runner` serves
 * over HTTP). Platform and runner both depend on these types and never on each other.
 */
import type { RuntimeId } from "./runtimes.ts";
import type { FunctionSpec, InvokeOutcome, InvokeRequest } from "./invoke.ts";
import type { ProvisionRequest, ProvisionResult, RunnerHeartbeat } from "./fleet.ts";

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
  /**
   * Make the version's code ready (downloaded, extracted, verified, layers merged) so its first cold
   * start only loads the module. Called when a version is published. Resolves once done; rejects
   * with why it could not (the first invocation then fetches the code itself).
   */
  prefetch?(spec: FunctionSpec): Promise<void>;
  /** Throws with a message naming the failing dependency when the runner cannot execute. */
  healthCheck(): Promise<void>;
  /** Stop taking new work, finish in-flight invocations, stop every instance. */
  drain(): Promise<void>;
}

/**
 * What a runner node holds now: its budget, its load, its instances per version and its idle stems.
 * A fleet runner's heartbeat carries exactly this; the runners list and capacity planning read it.
 */
export type RunnerReport = Pick<RunnerHeartbeat, "backend" | "state" | "capacity" | "load" | "versions" | "stems">;

/**
 * A runner node (backend, stem pool, code cache, version pools, capacity budget) as its host
 * drives it: the RunnerHandle, plus what capacity planning needs (provision, fenced by the
 * leader's token), what the runners list and heartbeats need (report), and the free slots a fleet
 * reply carries. The embedded runner is handed to the control plane as one in-process; the agent
 * serves the same one over HTTP (runner/src/fleet/runner-server.ts).
 */
export interface RunnerNode extends RunnerHandle {
  readonly id: string;
  /** Invocation slots of this version free now (0 when it has no instance). */
  freeSlots(spec: FunctionSpec): number;
  report(): RunnerReport;
  /**
   * Keep `req.count` instances of a version initialised (held for `holdMs`, idle period restarted
   * with `touch`). A command carrying a leader token older than one already seen is not applied.
   */
  provision(req: ProvisionRequest): Promise<ProvisionResult>;
}

/** A runner node living in the control plane's process: the control plane closes it at shutdown. */
export interface InProcessRunnerNode extends RunnerNode {
  /** Kill every instance now, close the stem pool, then the backend (docker removes its containers). */
  close(): Promise<void>;
}
