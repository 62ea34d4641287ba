/**
 * `hotswap runner` composed: a runner node (runner-node.ts: backend, stem pool, code cache,
 * version pools, capacity budget, fenced provisioning) behind the RunnerServer, registered and
 * heartbeating through the state store. Owns the agent's lifecycle: start (fail fast when Redis,
 * the code store or the backend is unusable) and the SIGTERM drain (stop taking work, say so at
 * once, finish in-flight invocations, deregister, stop every instance).
 */
import { randomUUID } from "node:crypto";
import { networkInterfaces } from "node:os";
import { resolve } from "node:path";
import { readFile } from "node:fs/promises";
import type { Logger } from "../../../shared/logger.ts";
import { createStateStore } from "../../../shared/state/index.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { createCodeStore } from "../../../shared/code-store/index.ts";
import type { CodeStore } from "../../../shared/code-store/code-store.ts";
import type { RunnerHeartbeat, RunnerState } from "../../../protocol/fleet.ts";
import type { RunnerConfig } from "../config.ts";
import { startRunnerNode, type LocalRunnerNode } from "../runner-node.ts";
import { HeartbeatPublisher } from "./heartbeat.ts";
import { RunnerServer } from "./runner-server.ts";
import { createRunnerRegistry } from "../metrics/runner-metrics.ts";
import pkg from "../../../package.json" with { type: "json" };

export interface RunningRunner {
  id: string;
  /** The URL control planes reach this runner at. */
  url: string;
  node: LocalRunnerNode;
  /** Stop taking work, finish in-flight invocations (up to the grace period), deregister, stop instances. */
  drain(): Promise<void>;
  /** What drain() is doing now ("running" before it starts), for a shutdown deadline's report. */
  drainStep(): string;
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
    // Fails (having closed its backend) when the backend cannot run anything.
    const node = await startRunnerNode(config, { codeStore, log, state });
    // From here the node closes its pools, then the stem pool, then the backend.
    opened.push(() => node.close());

    let agentState: RunnerState = "ready";
    const startedAt = Date.now();
    const bootId = randomUUID();
    let address = "";
    let server: RunnerServer | undefined = undefined;

    const heartbeat = (seq: number): RunnerHeartbeat => {
      const r = node.report();
      return {
        id: config.id,
        bootId,
        pool: config.pool,
        labels: config.labels,
        address,
        backend: r.backend,
        state: agentState,
        capacity: r.capacity,
        load: { ...r.load, inflight: Math.max(r.load.inflight, server?.inflightCount ?? 0) },
        versions: r.versions,
        stems: r.stems,
        startedAt,
        at: Date.now(),
        seq,
        intervalMs: config.heartbeatMs,
        controlPlaneUrl: config.controlPlaneUrl,
        version: pkg.version,
        ...(config.fleetChannel ? { channel: true } : {}),
      };
    };

    const metrics = createRunnerRegistry(node, { pool: config.pool, processMetrics: true });
    server = new RunnerServer({
      id: config.id,
      secret: config.clusterSecret,
      log,
      tracer: node.tracing.tracer,
      metrics: async () => ({ contentType: metrics.contentType, text: await metrics.metrics() }),
      ...(config.tls ? { tls: { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) } } : {}),
      target: {
        invoke: (r) => node.invoke(r),
        freeSlots: (spec) => node.freeSlots(spec),
        runtimes: () => node.runtimes(),
        provision: (req) => node.provision(req),
        prefetch: (spec) => node.prefetch(spec),
        heartbeat: () => heartbeat(0),
        ready: () => agentState === "ready",
      },
    });
    const bound = await server.listen(config.listen.host, config.listen.port);
    opened.push(() => server!.close());
    address = config.advertiseUrl ?? `${config.tls ? "https" : "http"}://${advertiseHost(bound.host)}:${bound.port}`;

    const publisher = new HeartbeatPublisher(state, heartbeat, config.heartbeatMs, log, config.clusterSecret);
    await publisher.start();
    log.info({ id: config.id, address, pool: config.pool, backend: config.backend }, "runner registered");

    let draining: Promise<void> | undefined;
    let step = "running";
    return {
      id: config.id,
      url: address,
      node,
      drainStep: () => step,
      drain: () =>
        (draining ??= (async () => {
          agentState = "draining";
          log.info({ inflight: server!.inflightCount }, "draining: no new invocations, finishing in-flight ones");
          const grace = new Promise<void>((r) => setTimeout(r, config.shutdownGraceMs).unref());
          // Say so at once, so control planes stop sending work before the next regular beat; an
          // unreachable Redis must not hold the drain past the grace period.
          step = "announcing the drain";
          await Promise.race([publisher.beat().catch(() => {}), grace]);
          step = "draining in-flight invocations";
          await Promise.race([node.drain(), grace]);
          agentState = "stopped";
          step = "deregistering";
          await Promise.race([publisher.stop(heartbeat(0)).catch(() => {}), grace]);
          step = "closing the listener";
          // Connections first: server.close() waits for every open one, idle keep-alive ones included.
          const closed = server!.close();
          server!.closeAllConnections();
          await closed;
          step = "stopping instances and closing stores";
          await closeAll();
          step = "stopped";
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
