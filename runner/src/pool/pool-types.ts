/**
 * The pool's public types: its options, its stats, and the two hooks it takes from outside
 * (a logger, and a StemSource that a later issue fills with prewarmed stem instances).
 */
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import type { ExecutionBackend, Instance } from "../backends/backend.ts";
import type { VersionPool } from "./version-pool.ts";
import type { PoolTracer } from "../tracing/pool-tracer.ts";

/**
 * Hands over prewarmed stem instances (runtime up, no code yet). The pool specialises one
 * instead of starting a fresh instance when the source has one. Synchronous so that the cold
 * path pays nothing when no stem pool is configured or it is empty.
 */
export interface StemSource {
  take(spec: FunctionSpec): Instance | undefined;
}

/**
 * Room for instances on the whole runner (RUNNER_MAX_INSTANCES, RUNNER_MEMORY_MB), shared by every
 * pool of a runner. Every live or starting instance holds its memory from the budget.
 */
export interface InstanceBudget {
  /**
   * Take room for one instance of `memoryMb` for `pool`; false when the runner is full even after
   * evicting idle instances of other versions.
   */
  tryAcquire(memoryMb: number, pool: VersionPool): boolean;
  release(memoryMb: number): void;
  /** Why the runner is full, for the refusal message. */
  fullMessage(): string;
}

/** The subset of a pino logger the pool uses. */
export interface PoolLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface VersionPoolOptions {
  spec: FunctionSpec;
  backend: ExecutionBackend;
  /** Resolves the read-only code directory of a code sha256 (CodeCache.ensure). */
  codeDir(sha256: string): Promise<string>;
  /** The merged read-only tree of a version's layer shas, in order (CodeCache.ensureLayers). */
  layersDir?(layerShas: string[]): Promise<string>;
  /** Instances of this version at most (RUNNER_MAX_INSTANCES_PER_VERSION); a spec's maxInstances may only lower it. */
  maxInstances: number;
  /** Invocations that may wait at the cap before TooManyRequests. */
  queueSize: number;
  /** How long an invocation waits at the cap before TooManyRequests. */
  queueTimeoutMs: number;
  /** An instance idle this long is stopped. */
  idleTimeoutMs: number;
  /** How long an InitError is returned to new invocations instead of starting yet another instance. @default 2000 */
  initErrorCacheMs?: number;
  /** SIGTERM grace when stopping idle or drained instances. @default 2000 */
  stopGraceMs?: number;
  stems?: StemSource;
  /** Runner-wide instance room; unlimited when unset. */
  budget?: InstanceBudget;
  /** Instances the idle sweep keeps (provisioned concurrency, a scheduled minimum); read on every sweep. */
  floor?(): number;
  log?: PoolLog;
  /** Spans about each invocation (acquisition, cold start, the invocation); absent when tracing is off. */
  tracer?: PoolTracer;
  /** Called once the pool is empty after an idle sweep; the pool is retired by then. */
  onEmpty?(pool: VersionPool): void;
}

export interface VersionPoolStats {
  key: string;
  /** Live instances (starting ones excluded). */
  instances: number;
  starting: number;
  /** Instances that can take an invocation now (inflight < instanceConcurrency). */
  warmIdle: number;
  inflight: number;
  queued: number;
  /** Invocation slots free now: live instances × instanceConcurrency − in flight. */
  freeSlots: number;
  /** Instances the idle sweep keeps (see VersionPoolOptions.floor). */
  held: number;
}
