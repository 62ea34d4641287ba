/**
 * The one composition of a runner node: from a RunnerNodeConfig it builds the execution backend,
 * the stem pool, the code cache and the LocalRunner with its version pools and its runner-wide
 * capacity budget, and exposes them as a RunnerNode (protocol/runner.ts). `hotswap runner` serves
 * this node over HTTP (fleet/runner-agent.ts); `hotswap server --embedded-runner` hands it to the
 * control plane in-process (cli/). Both get the same backend options, the same budget and the
 * same provisioning rules because both are built here.
 *
 * Start-up differs on purpose: an agent whose backend cannot run anything fails to start (it must
 * not register and take work), while the embedded server starts anyway so its API answers, and
 * invocations fail with 503 naming Docker until Docker answers.
 */
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Logger } from "../../shared/logger.ts";
import type { CodeStore } from "../../shared/code-store/code-store.ts";
import { specKey, type FunctionSpec, type InvokeOutcome, type InvokeRequest } from "../../protocol/invoke.ts";
import type { ProvisionRequest, ProvisionResult } from "../../protocol/fleet.ts";
import type { InProcessRunnerNode, RunnerReport, RunnerStatus, RuntimeAvailability } from "../../protocol/runner.ts";
import type { RunnerNodeConfig } from "./config.ts";
import type { ExecutionBackend } from "./backends/backend.ts";
import { CodeCache } from "./code-cache/code-cache.ts";
import { LocalRunner } from "./local-runner.ts";
import { createRunnerBackend, createRunnerStems, type RunnerStems } from "./runner-backend.ts";
import { Sandbox } from "./sandbox/index.ts";
import { TRACING_OFF, startTracing, type Tracing } from "../../shared/tracing/tracing.ts";
import { PoolTracer } from "./tracing/pool-tracer.ts";
import type { Tracer } from "@opentelemetry/api";
import type { StateStore } from "../../shared/state/state-store.ts";
import { LogShipper } from "./logs/log-shipper.ts";

export interface RunnerNodeDeps {
  /** Where code packages come from: the agent's own store, or the control plane's when embedded. */
  codeStore: CodeStore;
  log: Logger;
  /**
   * The host's tracer (the control plane's, when embedded): the node's spans go through its
   * exporter, one per process. Without it the node exports on its own (config.tracing).
   */
  tracer?: Tracer;
  /**
   * Where the functions' log records are shipped (FUNCTION_LOGS_STREAM): the agent's Redis, or the
   * control plane's store when embedded. Without it function output is read and dropped.
   */
  state?: Pick<StateStore, "xadd">;
}

/**
 * Build and start a runner node. Agent mode rejects when the backend cannot run anything (after
 * closing what it opened); embedded mode only logs that the docker backend is not ready.
 */
export async function startRunnerNode(config: RunnerNodeConfig, deps: RunnerNodeDeps): Promise<LocalRunnerNode> {
  const { log } = deps;
  // The process backend's sandbox; opening it reaps what a crashed runner left and logs once what is isolated.
  const sandbox =
    config.backend === "process"
      ? await Sandbox.open({ ...config.sandbox, runnerId: config.id, log: log.child({ component: "sandbox" }) })
      : undefined;
  const shipper = deps.state ? new LogShipper({ state: deps.state, log: log.child({ component: "function-logs" }) }) : undefined;
  const backend = await createRunnerBackend(config, log, sandbox, shipper ? { sink: shipper, limits: config.logs } : undefined);
  if (config.mode === "agent") {
    try {
      await backend.healthCheck();
    } catch (e) {
      await backend.close().catch(() => {});
      await shipper?.close();
      throw e;
    }
  }
  const stems = createRunnerStems(config, backend, log);
  const codeCache = new CodeCache({
    dir: codeCacheDir(config, sandbox),
    codeStore: deps.codeStore,
    onTampered: (sha256, problem) => log.warn({ sha256, problem }, "cached code tree was changed after extraction; extracting it again"),
  });
  const tracing = deps.tracer ? TRACING_OFF : await startTracing(config.tracing);
  const tracer = deps.tracer ?? tracing.tracer;
  const local = new LocalRunner({
    id: config.id,
    backend,
    codeCache,
    idleTimeoutMs: config.idleTimeoutMs,
    maxInstancesPerVersion: config.maxInstancesPerVersion,
    queueSize: config.queueSize,
    queueTimeoutMs: config.queueTimeoutMs,
    capacity: config.capacity,
    stems,
    log: log.child({ component: "runner" }),
    tracer: tracer ? new PoolTracer(tracer) : undefined,
  });
  return new LocalRunnerNode(config, local, backend, stems, collectCode(config, codeCache, local, log), tracing, shipper);
}

/**
 * Periodically remove code trees no pool of this runner uses and nobody loaded for
 * RUNNER_CODE_CACHE_MAX_IDLE. A pool's key carries its code sha's first 12 characters. Returns the stop function.
 */
function collectCode(config: RunnerNodeConfig, cache: CodeCache, local: LocalRunner, log: Logger): () => void {
  const sweep = () => {
    const live = local.versionStats().map((v) => v.key.slice(v.key.lastIndexOf("#") + 1));
    const layers = local.liveLayerTrees();
    cache
      .gc({ isLive: (sha) => layers.has(sha) || live.some((prefix) => sha.startsWith(prefix)), maxIdleMs: config.codeCacheMaxIdleMs })
      .then(
        (removed) => removed.length > 0 && log.info({ removed: removed.length }, "removed idle code trees"),
        (e: Error) => log.warn({ err: e.message }, "code cache collection failed"),
      );
  };
  const timer = setInterval(sweep, Math.min(config.codeCacheMaxIdleMs / 4, 600_000));
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Where extracted code lives. Sandboxed, beside the sandbox's state under the temp dir (instances
 * read their code through hard links, which need one filesystem), shared by the runners of this host.
 */
function codeCacheDir(config: RunnerNodeConfig, sandbox: Sandbox | undefined): string {
  if (config.codeCacheDir) return resolve(config.codeCacheDir);
  return sandbox?.isolating ? join(tmpdir(), "hotswap-code-cache") : join(resolve(config.dataDir), "code-cache");
}

/** A LocalRunner with its stems and budget, as a RunnerNode. */
export class LocalRunnerNode implements InProcessRunnerNode {
  readonly id: string;
  /** The highest leader token heard from: commands carrying an older one are stale. */
  private leaderToken = 0;

  constructor(
    private readonly config: RunnerNodeConfig,
    /** The pools themselves, for the agent's drain and tests. */
    readonly local: LocalRunner,
    private readonly backend: ExecutionBackend,
    private readonly stems: RunnerStems | undefined,
    private readonly stopCollecting: () => void = () => {},
    /** The runner's span exporter (TRACING_OFF when tracing is off); flushed and stopped by close(). */
    readonly tracing: Tracing = TRACING_OFF,
    /** Ships the functions' log records; flushed after the instances are gone. */
    private readonly shipper?: LogShipper,
  ) {
    this.id = config.id;
  }

  invoke(req: InvokeRequest): Promise<InvokeOutcome> {
    return this.local.invoke(req);
  }

  runtimes(): Promise<RuntimeAvailability[]> {
    return this.local.runtimes();
  }

  status(): RunnerStatus {
    return this.local.status();
  }

  prewarm(spec: FunctionSpec, count: number): Promise<number> {
    return this.local.prewarm(spec, count);
  }

  prefetch(spec: FunctionSpec): Promise<void> {
    return this.local.prefetch(spec);
  }

  healthCheck(): Promise<void> {
    return this.local.healthCheck();
  }

  drain(): Promise<void> {
    return this.local.drain();
  }

  /**
   * Closes the version pools, then the stem pool, then the backend (the docker backend removes its
   * containers), then ships the function logs still waiting (their last lines included).
   */
  async close(): Promise<void> {
    this.stopCollecting();
    try {
      await this.local.close();
    } finally {
      await this.shipper?.close();
      await this.tracing.shutdown();
    }
  }

  freeSlots(spec: FunctionSpec): number {
    return this.local.freeSlots(spec);
  }

  report(): RunnerReport {
    let inflight = 0;
    let instances = 0;
    const versions = this.local.versionStats().map((v) => {
      inflight += v.inflight;
      instances += v.instances;
      return {
        key: v.key,
        functionName: v.functionName,
        version: v.version,
        instances: v.instances,
        starting: v.starting,
        warm: v.warmIdle,
        free: v.freeSlots,
        inflight: v.inflight,
        held: v.held,
      };
    });
    return {
      backend: this.backend.kind,
      state: this.local.status().state,
      capacity: this.config.capacity,
      load: { inflight, instances, memoryMb: this.local.memoryInUse() },
      versions,
      stems: this.stems?.counts() ?? {},
    };
  }

  async provision(req: ProvisionRequest): Promise<ProvisionResult> {
    if (req.leaderToken !== undefined) {
      // Fencing: a command from a leader older than one already heard from is ignored.
      if (req.leaderToken < this.leaderToken) {
        const key = specKey(req.spec);
        return { live: this.local.versionStats().find((v) => v.key === key)?.instances ?? 0, applied: false };
      }
      this.leaderToken = req.leaderToken;
    }
    const live = await this.local.provision(req.spec, req.count, { holdMs: req.holdMs, touch: req.touch });
    return { live, applied: true };
  }
}
