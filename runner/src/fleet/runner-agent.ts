/**
 * `hotswap runner` composed: a LocalRunner (backend, code cache, version pools, stem pool) behind
 * the RunnerServer, registered and heartbeating through the state store. Owns the runner's
 * lifecycle: start (fail fast when Redis, the code store or the backend is unusable), provisioning
 * commands fenced by the leader's token, and the SIGTERM drain (stop taking work, say so at once,
 * finish in-flight invocations, deregister, stop every instance).
 */
import { randomUUID } from "node:crypto";
import { networkInterfaces } from "node:os";
import { join, resolve } from "node:path";
import type { Logger } from "../../../shared/logger.ts";
import { createStateStore } from "../../../shared/state/index.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { createCodeStore } from "../../../shared/code-store/index.ts";
import type { CodeStore } from "../../../shared/code-store/code-store.ts";
import { specKey } from "../../../protocol/invoke.ts";
import type { ProvisionRequest, ProvisionResult, RunnerHeartbeat, RunnerState } from "../../../protocol/fleet.ts";
import type { RunnerConfig } from "../config.ts";
import { CodeCache } from "../code-cache/code-cache.ts";
import { LocalRunner } from "../local-runner.ts";
import { createRunnerBackend, createRunnerStems, type RunnerStems } from "./runner-backend.ts";
import { HeartbeatPublisher } from "./heartbeat.ts";
import { RunnerServer } from "./runner-server.ts";
import pkg from "../../../package.json" with { type: "json" };

export interface RunningRunner {
  id: string;
  /** The URL control planes reach this runner at. */
  url: string;
  local: LocalRunner;
  /** Stop taking work, finish in-flight invocations (up to the grace period), deregister, stop instances. */
  drain(): Promise<void>;
}

export async function startRunnerAgent(config: RunnerConfig, log: Logger): Promise<RunningRunner> {
  const opened: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const c of opened.reverse()) await c().catch((e) => log.warn({ err: e }, "close failed"));
  };
  try {
    const state: StateStore = await createStateStore({ kind: "redis", url: config.redis.url, keyPrefix: config.redis.keyPrefix });
    opened.push(() => state.close());
    const codeStore: CodeStore = await createCodeStore(config.codeStore.kind === "fs" ? { kind: "fs", dir: resolve(config.codeStore.dir) } : config.codeStore);
    opened.push(() => codeStore.close());
    const backend = await createRunnerBackend(config, log);
    const closeBackend = async () => backend.close();
    opened.push(closeBackend);
    await backend.healthCheck();
    const stems: RunnerStems | undefined = createRunnerStems(config, backend, log);

    const local = new LocalRunner({
      id: config.id,
      backend,
      codeCache: new CodeCache({ dir: join(resolve(config.dataDir), "code-cache"), codeStore }),
      idleTimeoutMs: config.idleTimeoutMs,
      maxInstancesPerVersion: config.capacity.maxInstances,
      queueSize: config.queueSize,
      queueTimeoutMs: config.queueTimeoutMs,
      capacity: config.capacity,
      stems,
      log: log.child({ component: "pool" }),
    });
    // From here the runner closes its pools, then the stem pool, then the backend.
    opened.splice(opened.indexOf(closeBackend), 1, () => local.close());

    let agentState: RunnerState = "ready";
    let leaderToken = 0;
    const startedAt = Date.now();
    const bootId = randomUUID();
    let address = "";
    let server: RunnerServer | undefined = undefined;

    const heartbeat = (seq: number): RunnerHeartbeat => {
      let inflight = 0;
      let instances = 0;
      const versions = local.versionStats().map((v) => {
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
        id: config.id,
        bootId,
        pool: config.pool,
        labels: config.labels,
        address,
        backend: backend.kind,
        state: agentState,
        capacity: config.capacity,
        load: { inflight: Math.max(inflight, server?.inflightCount ?? 0), instances, memoryMb: local.memoryInUse() },
        versions,
        stems: stems?.counts() ?? {},
        startedAt,
        at: Date.now(),
        seq,
        intervalMs: config.heartbeatMs,
        controlPlaneUrl: config.controlPlaneUrl,
        version: pkg.version,
      };
    };

    const provision = async (req: ProvisionRequest): Promise<ProvisionResult> => {
      if (req.leaderToken !== undefined) {
        // Fencing: a command from a leader older than one already heard from is ignored.
        if (req.leaderToken < leaderToken) {
          const key = specKey(req.spec);
          return { live: local.versionStats().find((v) => v.key === key)?.instances ?? 0, applied: false };
        }
        leaderToken = req.leaderToken;
      }
      const live = await local.provision(req.spec, req.count, { holdMs: req.holdMs, touch: req.touch });
      return { live, applied: true };
    };

    server = new RunnerServer({
      id: config.id,
      secret: config.clusterSecret,
      log,
      target: {
        invoke: (r) => local.invoke(r),
        freeSlots: (spec) => local.freeSlots(spec),
        runtimes: () => local.runtimes(),
        provision,
        heartbeat: () => heartbeat(0),
        ready: () => agentState === "ready",
      },
    });
    const bound = await server.listen(config.listen.host, config.listen.port);
    opened.push(() => server!.close());
    address = config.advertiseUrl ?? `http://${advertiseHost(bound.host)}:${bound.port}`;

    const publisher = new HeartbeatPublisher(state, heartbeat, config.heartbeatMs, log);
    await publisher.start();
    log.info({ id: config.id, address, pool: config.pool, backend: backend.kind }, "runner registered");

    let draining: Promise<void> | undefined;
    return {
      id: config.id,
      url: address,
      local,
      drain: () =>
        (draining ??= (async () => {
          agentState = "draining";
          log.info({ inflight: server!.inflightCount }, "draining: no new invocations, finishing in-flight ones");
          // Say so at once, so control planes stop sending work before the next regular beat.
          await publisher.beat();
          const grace = new Promise<void>((r) => setTimeout(r, config.shutdownGraceMs).unref());
          await Promise.race([local.drain(), grace]);
          agentState = "stopped";
          await publisher.stop(heartbeat(0));
          await server!.close();
          server!.closeAllConnections();
          await closeAll();
          log.info("runner stopped");
        })()),
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** The host part of the URL control planes use: the bound address, or this machine's first external IPv4 for a wildcard bind. */
function advertiseHost(bound: string): string {
  if (bound !== "0.0.0.0" && bound !== "::") return bound.includes(":") ? `[${bound}]` : bound;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}
