/**
 * The in-process runner: an execution backend, the code cache and one VersionPool per function
 * version, behind the RunnerHandle the control plane calls. runner-node.ts composes it with its
 * backend, stems and budget into the runner node that both the embedded runner of `npm start` and
 * a runner agent (behind HTTP) are.
 */
import type { FunctionSpec, InvokeOutcome, InvokeRequest } from "../../protocol/invoke.ts";
import { specKey } from "../../protocol/invoke.ts";
import type { RunnerHandle, RunnerStatus, RuntimeAvailability } from "../../protocol/runner.ts";
import type { ExecutionBackend } from "./backends/backend.ts";
import { layerSetKey, type CodeCache } from "./code-cache/code-cache.ts";
import { CLOSED_MESSAGE, DRAINING_MESSAGE, platformError } from "./pool/outcomes.ts";
import { VersionPool, type PoolLog, type StemSource, type VersionPoolStats } from "./pool/version-pool.ts";
import { RunnerBudget, type RunnerCapacity } from "./fleet/runner-budget.ts";
import type { PoolTracer } from "./tracing/pool-tracer.ts";

export interface LocalRunnerOptions {
  /** Runner id reported in status(). */
  id: string;
  backend: ExecutionBackend;
  /** Code trees; `ensureLayers` is needed for versions with layers (test doubles may leave it out). */
  codeCache: Pick<CodeCache, "ensure"> & Partial<Pick<CodeCache, "ensureLayers">>;
  /** An instance idle this long is stopped. */
  idleTimeoutMs: number;
  /** Instances per function version at most; a function's maxInstances may set less, never more. */
  maxInstancesPerVersion: number;
  /** Invocations per version that may wait at the instance cap before TooManyRequests. */
  queueSize: number;
  /** How long an invocation waits at the cap before TooManyRequests. */
  queueTimeoutMs: number;
  /** How long a version's InitError is reused instead of starting another instance. @default 2000 */
  initErrorCacheMs?: number;
  /** SIGTERM grace when stopping idle or drained instances. @default 2000 */
  stopGraceMs?: number;
  /**
   * Prewarmed stem instances to specialise on cold starts (a StemPool). If it has close(), close()
   * calls it before closing the backend, so nothing refills a backend that is going away (its
   * close() must stop refilling at once, before its promise settles).
   */
  stems?: StemSource & { close?(): Promise<void> };
  /**
   * Room for instances on the whole runner (RUNNER_MAX_INSTANCES, RUNNER_MEMORY_MB). When full, the
   * longest-idle instance of another version is evicted; with none, a cold start is refused so the
   * control plane can place it on another runner. Unlimited when unset.
   */
  capacity?: RunnerCapacity;
  log?: PoolLog;
  /** Spans about invocations (runner/src/tracing); absent when tracing is off. */
  tracer?: PoolTracer;
}

type RunnerState = RunnerStatus["state"];

export class LocalRunner implements RunnerHandle {
  private state: RunnerState = "ready";
  /** Pools by specKey: the source of truth. */
  private readonly pools = new Map<string, VersionPool>();
  /**
   * Pools by spec object. The control plane keeps specs in its routing table and passes the same
   * object on every invocation, so the hot path is one WeakMap lookup with no key string built.
   */
  private readonly bySpec = new WeakMap<FunctionSpec, VersionPool>();
  private drainPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  /** Provisioning holds by specKey: instances the idle sweep keeps until `until`. */
  private readonly holds = new Map<string, { count: number; until: number }>();
  private readonly budget: RunnerBudget | undefined;

  constructor(private readonly opts: LocalRunnerOptions) {
    this.budget = opts.capacity ? new RunnerBudget(opts.capacity, () => this.pools.values()) : undefined;
  }

  /** Run one invocation. Never rejects: every failure is a platform-error outcome. Warm path: a WeakMap lookup, then the pool. */
  invoke(req: InvokeRequest): Promise<InvokeOutcome> {
    if (this.state !== "ready") return Promise.resolve(this.refusal());
    let pool = this.bySpec.get(req.spec);
    if (pool === undefined || pool.retired) pool = this.poolFor(req.spec);
    return pool.invoke(req);
  }

  /** Start instances of a version until `count` are live (capped); resolves with the live count. */
  async prewarm(spec: FunctionSpec, count: number): Promise<number> {
    if (this.state !== "ready" || count <= 0) return 0;
    let pool = this.bySpec.get(spec);
    if (pool === undefined || pool.retired) pool = this.poolFor(spec);
    return pool.prewarm(count);
  }

  /**
   * Ready the version's code tree (and its merged layers) in the code cache, so its first cold
   * start neither downloads, extracts nor hashes anything: the pool's own codeDir() call then finds
   * a trusted tree (one lstat per entry). Rejects with the code cache's error.
   */
  async prefetch(spec: FunctionSpec): Promise<void> {
    const cache = this.opts.codeCache;
    await Promise.all([cache.ensure(spec.codeSha256), spec.layers?.length && cache.ensureLayers ? cache.ensureLayers(spec.layers.map((l) => l.codeSha256)) : undefined]);
  }

  /**
   * Keep `count` instances of a version initialised: start them, and have the idle sweep keep them
   * for `holdMs` (provisioned concurrency, scheduled minimums; the fleet leader refreshes the hold).
   * holdMs 0 or count 0 drops the hold; holdMs unset leaves it as it is (a one-off prewarm).
   * `touch` restarts the idle period of idle instances (keep-warm). Resolves with the live instance count.
   */
  async provision(spec: FunctionSpec, count: number, opts: { holdMs?: number; touch?: boolean } = {}): Promise<number> {
    const key = specKey(spec);
    if (opts.holdMs !== undefined || count <= 0) {
      if (count > 0 && opts.holdMs! > 0) this.holds.set(key, { count, until: Date.now() + opts.holdMs! });
      else this.holds.delete(key);
    }
    if (this.state !== "ready") return 0;
    if (count <= 0) return this.pools.get(key)?.stats().instances ?? 0;
    let pool = this.bySpec.get(spec);
    if (pool === undefined || pool.retired) pool = this.poolFor(spec);
    return pool.prewarm(count, { touch: opts.touch });
  }

  /** Invocation slots of this version free right now on this runner (0 when it has no instance). */
  freeSlots(spec: FunctionSpec): number {
    const pool = this.bySpec.get(spec) ?? this.pools.get(specKey(spec));
    return pool === undefined || pool.retired ? 0 : pool.freeSlots();
  }

  /** Memory (MB) held by live and starting instances, when the runner has a capacity. */
  memoryInUse(): number {
    return this.budget?.usedMemoryMb ?? 0;
  }

  /** What the backend can run on this host. */
  runtimes(): Promise<RuntimeAvailability[]> {
    return this.opts.backend.runtimes();
  }

  /**
   * Totals across versions. `warm` counts, per version key, the instances that can take an
   * invocation right now (spare capacity), which is what the router's warm preference needs.
   */
  status(): RunnerStatus {
    let inflight = 0;
    let instances = 0;
    const warm: Record<string, number> = {};
    for (const pool of this.pools.values()) {
      const s = pool.stats();
      inflight += s.inflight;
      instances += s.instances;
      if (s.warmIdle > 0) warm[s.key] = s.warmIdle;
    }
    return { id: this.opts.id, backend: this.opts.backend.kind, state: this.state, inflight, instances, warm };
  }

  /** Per-version detail (instances, starting, warm idle, in flight, queued), for metrics and debugging. */
  poolStats(): VersionPoolStats[] {
    return [...this.pools.values()].map((p) => p.stats());
  }

  /** poolStats() with each version's function name and number, for heartbeats. */
  versionStats(): Array<VersionPoolStats & { functionName: string; version: number }> {
    return [...this.pools.values()].map((p) => ({ ...p.stats(), functionName: p.functionName, version: p.version }));
  }

  /** Layer trees live versions run from (each layer's sha and the merged tree's key): the code cache's gc keeps them. */
  liveLayerTrees(): Set<string> {
    const live = new Set<string>();
    for (const p of this.pools.values()) {
      const shas = p.layerShas;
      if (shas.length === 0) continue;
      for (const sha of shas) live.add(sha);
      live.add(layerSetKey(shas));
    }
    return live;
  }

  /** Throws with a message naming the dependency (interpreter, Docker) when the backend cannot run anything. */
  healthCheck(): Promise<void> {
    return this.opts.backend.healthCheck();
  }

  /** Stop taking new work, let in-flight and queued invocations finish, then stop every instance. */
  drain(): Promise<void> {
    if (this.drainPromise !== undefined) return this.drainPromise;
    if (this.state === "ready") this.state = "draining";
    this.drainPromise = Promise.all([...this.pools.values()].map((p) => p.drain())).then(() => {
      this.state = "stopped";
    });
    return this.drainPromise;
  }

  /**
   * Kill every instance now (after drain() or instead of it) and close the backend. Nothing here
   * waits for an instance to finish starting: the stem pool stops refilling first, then the pools
   * kill their live instances while the backend closes, which kills the ones still starting (a
   * cold start with a slow init would otherwise hold a shutdown for its whole init timeout).
   */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.state = "stopped";
      const stems = this.opts.stems?.close?.();
      const pools = [...this.pools.values()].map((p) => p.close());
      this.pools.clear();
      await this.opts.backend.close();
      await Promise.all([stems, ...pools]);
    })();
    return this.closePromise;
  }

  private poolFor(spec: FunctionSpec): VersionPool {
    const key = specKey(spec);
    let pool = this.pools.get(key);
    if (pool === undefined || pool.retired) {
      const o = this.opts;
      pool = new VersionPool({
        spec,
        backend: o.backend,
        codeDir: (sha) => o.codeCache.ensure(sha),
        ...(o.codeCache.ensureLayers ? { layersDir: (shas: string[]) => o.codeCache.ensureLayers!(shas) } : {}),
        maxInstances: o.maxInstancesPerVersion,
        queueSize: o.queueSize,
        queueTimeoutMs: o.queueTimeoutMs,
        idleTimeoutMs: o.idleTimeoutMs,
        initErrorCacheMs: o.initErrorCacheMs,
        stopGraceMs: o.stopGraceMs,
        stems: o.stems,
        budget: this.budget,
        floor: () => this.heldCount(key),
        log: o.log,
        tracer: o.tracer,
        onEmpty: (p) => {
          if (this.pools.get(p.key) === p) this.pools.delete(p.key);
        },
      });
      this.pools.set(key, pool);
    }
    this.bySpec.set(spec, pool);
    return pool;
  }

  private heldCount(key: string): number {
    const hold = this.holds.get(key);
    if (hold === undefined) return 0;
    if (Date.now() <= hold.until) return hold.count;
    this.holds.delete(key);
    return 0;
  }

  private refusal(): InvokeOutcome {
    return { ...platformError("ServiceUnavailable", this.state === "draining" ? DRAINING_MESSAGE : CLOSED_MESSAGE), refused: true };
  }
}
