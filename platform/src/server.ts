/**
 * Composition root of the control plane: opens the stores named by the config (embedded ones
 * when unset), ensures an admin key, hosts the in-process runner node it is given (the embedded
 * runner, composed by cli/) or routes to the runner fleet (`hotswap runner` processes registered
 * in Redis), records per-version metrics, runs
 * the rollout orchestrator (leader lease), serves the API, and shuts down gracefully (hand the
 * rollout lease over, stop accepting, drain in-flight invocations, flush metrics, close the stores).
 */
import { chmod, mkdir, readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { CertificateReloader, createListener, readTlsPair, type TlsPair } from "./tls/tls-listener.ts";
import { answerClientErrors } from "./api/client-error.ts";
import { getRequestListener } from "@hono/node-server";
import { createFrontDoor } from "./api/front-door/index.ts";
import type { Config } from "./config.ts";
import type { Logger } from "../../shared/logger.ts";
import { openDatabase, createRepositories, type Database } from "./db/index.ts";
import { createStateStore } from "../../shared/state/index.ts";
import type { StateStore } from "../../shared/state/state-store.ts";
import { createCodeStore } from "../../shared/code-store/index.ts";
import type { CodeStore } from "../../shared/code-store/code-store.ts";
import { RoutingTable } from "./router/routing-table.ts";
import { Invoker } from "./router/invoker.ts";
import { FunctionService, functionNotFound } from "./functions/function-service.ts";
import { LayerService } from "./layers/layer-service.ts";
import { VersionService } from "./functions/version-service.ts";
import { AliasService } from "./functions/alias-service.ts";
import { createApp } from "./api/app.ts";
import { createAuth } from "./auth-setup.ts";
import { RequestLimits } from "./limits/request-limits.ts";
import { keyRateLimit } from "./limits/limits-middleware.ts";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./api/context.ts";
import { StateMetricsRecorder } from "./metrics/metrics-recorder.ts";
import { RolloutWindowsObserver } from "./metrics/rollout-windows-observer.ts";
import { startUsage } from "./usage/index.ts";
import type { Registry } from "prom-client";
import { createMetricsRegistry, exposition } from "./metrics/prometheus-registry.ts";
import { PrometheusInvocationObserver, countThrottles } from "./metrics/prometheus-observer.ts";
import { PrometheusDeploymentMetrics } from "./metrics/deployment-metrics.ts";
import { AsyncQueueMetrics } from "./metrics/async-queue-metrics.ts";
import { DeploymentAliasGuard, clusterNamespace, startRollouts } from "./deployments/index.ts";
import type { InProcessRunnerNode } from "../../protocol/runner.ts";
import { ReservedConcurrencyGate } from "./fleet/reserved-concurrency.ts";
import { embeddedRunnersSource } from "./fleet/runner-views.ts";
import { CapacityPlanner } from "./fleet/capacity-planner.ts";
import { processLocalLease } from "../../shared/lease/process-lease.ts";
import { LeaderLease } from "../../shared/lease/leader-lease.ts";
import { CodeCollector } from "./functions/code-gc.ts";
import { localPlacementTargets } from "./fleet/local-target.ts";
import type { Fleet } from "./fleet/index.ts";
import { HttpRouteTable } from "./triggers/http-route-table.ts";
import { TriggerStats } from "./triggers/trigger-stats.ts";
import { TriggerService } from "./triggers/trigger-service.ts";
import { createHttpGateway, GATEWAY_PATH_PREFIX } from "./triggers/http-gateway.ts";
import { listenGateway } from "./triggers/gateway-listener.ts";
import { startFunctionLogs } from "./logs/index.ts";
import { AsyncQueue } from "./async/async-queue.ts";
import { AsyncWorkers, consumerName } from "./async/async-workers.ts";
import { Destinations } from "./async/destinations.ts";
import { ScheduleEngine } from "./schedules/schedule-engine.ts";
import { StreamEngine } from "./triggers/stream/stream-engine.ts";
import { QueueSources } from "./triggers/queue/queue-sources.ts";
import { QueueConsumers } from "./triggers/queue/queue-consumers.ts";
import { batchInvoker } from "./triggers/queue/queue-invocation.ts";
import pkg from "../../package.json" with { type: "json" };
import { startTracing } from "../../shared/tracing/tracing.ts";
import type { Tracer } from "@opentelemetry/api";

export interface RunningServer {
  url: string;
  port: number;
  /** The HTTP gateway listener's URL and port, when HOTSWAP_GATEWAY_PORT is set. */
  gatewayUrl?: string;
  gatewayPort?: number;
  /** Set only when this start created the admin key: print it once. */
  createdAdminKey?: string;
  app: ReturnType<typeof createApp>;
  /** Stop accepting requests, drain in-flight invocations (up to the grace period), close stores. */
  close(): Promise<void>;
  /** What close() is doing now ("running" before it starts), for a shutdown deadline's report. */
  closingStep(): string;
}

/** What the control plane gives the embedded runner node it hosts: the code store it opened. */
export interface EmbeddedRunnerDeps {
  codeStore: CodeStore;
  /** The control plane's tracer when tracing is on: the runner's spans go through the same exporter. */
  tracer?: Tracer;
  /** The embedded runner ships its functions' log records to this store's FUNCTION_LOGS_STREAM. */
  state: StateStore;
}

/**
 * Which runners execute invocations:
 *   "embedded" (`--embedded-runner`): an in-process runner node, built by `start` once the stores
 *     are open and closed by the server after the in-flight invocations drained (cli/ composes it).
 *   "fleet": the `hotswap runner` processes registered in Redis. `backend` is the backend name
 *     GET /api/v1/runtimes reports (RUNNER_BACKEND, "process" when unset).
 */
export type ServerOptions =
  | { runners: "embedded"; start(deps: EmbeddedRunnerDeps): Promise<InProcessRunnerNode>; /** The embedded runner's Prometheus registry, served with the control plane's on /metrics. */ metrics?: Registry }
  | { runners: "fleet"; backend?: "process" | "docker" };

export async function startServer(config: Config, log: Logger, opts: ServerOptions): Promise<RunningServer> {
  const fleetMode = opts.runners === "fleet";
  if (fleetMode) assertFleetConfig(config);
  const dataDir = resolve(config.dataDir);
  // 0700 even when an older version created it open: it holds secret.key and the database. A
  // shared directory (sticky, like /tmp) or someone else's is left alone.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const st = await stat(dataDir);
  if ((st.mode & 0o077) !== 0 && (st.mode & 0o1000) === 0 && st.uid === process.getuid?.()) await chmod(dataDir, 0o700);
  const opened: Array<{ close(): Promise<void>; name?: string }> = [];
  let step = "running";
  const closeAll = async () => {
    for (const c of opened.reverse()) {
      step = `closing ${c.name ?? "a store"}`;
      await c.close().catch((e) => log.warn({ err: e }, "close failed"));
    }
  };
  try {
    // First opened, last closed: spans of the drain are still exported.
    const tracing = await startTracing(config.tracing, pkg.version);
    opened.push({ name: "the trace exporter", close: () => tracing.shutdown() });
    const database: Database = await openDatabase(config.database.kind === "pglite" ? { kind: "pglite", dir: resolve(config.database.dir) } : config.database);
    opened.push({ name: "the database", close: () => database.close() });
    const state: StateStore = await createStateStore(config.state);
    opened.push({ name: "the state store", close: () => state.close() });
    const codeStore: CodeStore = await createCodeStore(config.codeStore.kind === "fs" ? { kind: "fs", dir: resolve(config.codeStore.dir) } : config.codeStore);
    opened.push({ name: "the code store", close: () => codeStore.close() });
    log.info({ database: database.kind, state: state.kind, codeStore: codeStore.kind }, "stores ready");

    const repos = createRepositories(database.db);
    // Closed after the runners (every outcome observed), before the database (the last flush).
    const usage = startUsage(repos, config.usage, log.child({ component: "usage" }));
    opened.push({ name: "the usage aggregate (last flush)", close: () => usage.observer.close() });
    // Metric windows, rate-limit buckets, the leader leases and stream checkpoints are scoped to this database, so environments can share a Redis.
    const clusterId = await repos.deployments.clusterId();
    const namespace = clusterNamespace(clusterId);
    const auth = await createAuth({
      repos,
      state,
      dataDir,
      adminKey: config.adminKey,
      secretKey: config.secretKey,
      previousSecretKeys: config.previousSecretKeys,
      metricsKey: config.metricsKey,
      deployerKey: config.deployerKey,
      jwt: config.jwt,
      authFailures: config.rateLimits.authFailures,
      namespace,
      onLimiterError: (e) => log.warn({ err: e }, "counting a failed authentication failed; it was not counted"),
    });
    opened.push({ name: "the key invalidation and address block subscriptions", close: () => auth.stop() });
    // Function logs start before the embedded runner, so at shutdown they stop after it and store its last lines.
    const functionLogs = await startFunctionLogs({
      state,
      repos,
      namespace,
      replicaId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      defaults: config.logs,
      requireFunction: async (name) => {
        if (!(await repos.functions.get(name))) throw functionNotFound(name);
      },
      onError: (e, what) => log.warn({ err: e }, `function logs: ${what} failed`),
    });
    opened.push({ name: "the function log ingest", close: () => functionLogs.stop() });

    const local = opts.runners === "embedded" ? await opts.start({ codeStore, tracer: tracing.tracer, state }) : undefined;
    // Closes the version pools, then the stem pool, then the backend (the docker backend removes its containers).
    if (local) opened.push({ name: "the embedded runner (instances, stems, backend)", close: () => local.close() });
    // What GET /api/v1/runtimes names: the embedded node's backend, or the one configured for the fleet.
    const runtimesBackend = opts.runners === "embedded" ? local!.report().backend : (opts.backend ?? "process");

    const routing = new RoutingTable(repos, state, { onError: (e) => log.warn({ err: e }, "routing refresh failed"), secrets: auth.secretBox });
    await routing.start();
    opened.push({ close: () => routing.stop() });

    // Rate limits per key and per function, in buckets every replica shares through the state store.
    const limits = new RequestLimits({ state, namespace, defaults: config.rateLimits, onError: (e) => log.warn({ err: e }, "rate limit check failed; the request was let through") });
    let fleet: Fleet | undefined;
    if (fleetMode) {
      const { startFleet } = await import("./fleet/index.ts"); // only fleet mode loads the HTTP client
      const runnerCa = config.runnerTlsCa ? await readFile(config.runnerTlsCa) : undefined;
      fleet = await startFleet({ state, repos, routing, namespace, secret: config.clusterSecret!, runnerCa, runnerServername: config.runnerTlsServername, holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, log: log.child({ component: "fleet" }), tracer: tracing.tracer });
      opened.push({ close: () => fleet!.stop() });
    } else {
      // Provisioned concurrency, scheduled minimums and keep-warm, on the embedded runner (this process's alone, hence a process-local lease).
      const lease = processLocalLease({ duty: "capacity", namespace, holder: `${hostname()}:${process.pid}` });
      await lease.start();
      opened.push({ close: () => lease.stop() });
      const planner = new CapacityPlanner({ repos, routing, state, registry: localPlacementTargets(local!), lease, log: log.child({ component: "capacity" }) });
      await planner.start();
      opened.push({ close: () => planner.stop() });
    }
    // reservedConcurrency is enforced here, in front of whichever runner executes.
    const runner = new ReservedConcurrencyGate(fleet?.runner ?? local!, fleet ? { state, onError: (e) => log.warn({ err: e }, "in-flight count broadcast failed") } : undefined);
    await runner.start();
    opened.push({ close: () => runner.stop() });
    const runnerList = fleet?.runnerList ?? embeddedRunnersSource(local!);

    // Zips no version references: one replica sweeps the store; a deleted function's go at once.
    const codeGc = new CodeCollector({
      versions: repos.versions,
      codeStore,
      lease: new LeaderLease(state, { duty: "code-gc", namespace, holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}` }),
      ...config.codeGc,
      log: log.child({ component: "code-gc" }),
    });
    await codeGc.start();
    opened.push({ close: () => codeGc.stop() });
    const functions = new FunctionService(repos, routing, codeGc, auth.secretBox);
    const aliases = new AliasService(repos, functions, routing, new DeploymentAliasGuard(repos));
    const recorder = new StateMetricsRecorder(state, { namespace, onError: (e) => log.warn({ err: e }, "metrics flush failed") });
    opened.push(recorder);
    // Prometheus series; those of deleted functions and versions are dropped at the next scrape.
    const metricsRegistry = createMetricsRegistry();
    const liveSeries = (fn: string, version?: number) => (version === undefined ? routing.has(fn) : routing.spec(fn, version) !== undefined);
    const invocationMetrics = new PrometheusInvocationObserver(metricsRegistry, liveSeries);
    // The pipeline's reserved-concurrency stage takes the gate's slots around the bare runner.
    // Asynchronous invocations: queued by the pipeline's enqueue stage, run by this replica's workers.
    const queue = new AsyncQueue(state, repos.invocations, { namespace, maxLen: config.async.queueMaxLen });
    const invoker = new Invoker(
      routing,
      runner.runner,
      [new RolloutWindowsObserver(recorder), usage.observer, invocationMetrics],
      countThrottles(runner, invocationMetrics),
      queue,
      (e) => log.error({ err: e }, "an invocation observer failed; the invocation's answer is unaffected"),
    );
    const asyncMetrics = new AsyncQueueMetrics(metricsRegistry, { invocations: repos.invocations, state, stream: queue.stream, onError: (e) => log.warn({ err: e }, "reading the async queue's depth for /metrics failed") });
    const workers = new AsyncWorkers({
      state,
      stream: queue.stream,
      repos,
      invoker,
      destinations: new Destinations(state, invoker),
      consumer: consumerName(hostname()),
      concurrency: config.async.concurrency,
      retryDelaysMs: config.async.retryDelaysMs,
      staleAfterMs: config.async.staleAfterMs,
      log: log.child({ component: "async" }),
      onDuplicate: (reason) => asyncMetrics.duplicate(reason),
    });
    const recovered = await queue.recover();
    if (recovered > 0) log.info({ events: recovered }, "unfinished asynchronous events put back on the embedded queue");
    await workers.start();
    opened.push({ name: "the async workers", close: () => workers.stop(config.shutdownGraceMs) });
    const scheduleLog = log.child({ component: "schedules" });
    const schedules = new ScheduleEngine({
      repos,
      invoker,
      lease: new LeaderLease(state, { duty: "cron", namespace, holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, onError: (e) => scheduleLog.warn({ err: e }, "cron lease renewal failed") }),
      intervalMs: config.schedules.intervalMs,
      misfireGraceMs: config.schedules.misfireGraceMs,
      log: scheduleLog,
    });
    await schedules.start();
    opened.push({ name: "the schedule engine", close: () => schedules.stop() });
    const rollouts = await startRollouts({
      repos,
      state,
      functions,
      aliases,
      invoker,
      runner,
      routing,
      namespace,
      holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      log,
      metrics: new PrometheusDeploymentMetrics(metricsRegistry, () => routing.functionNames()),
      approvalTimeoutMs: config.approvalTimeoutMs,
      box: auth.secretBox,
      // Rolling moves runner by runner; blue-green prewarms to the instances the old version has now.
      runnerCount: async () => (await runnerList.list({ includeGone: false })).filter((r) => r.healthy).length,
      instancesOf: async (fn, version) => {
        let n = 0;
        for (const r of await runnerList.list({ includeGone: false })) {
          for (const w of r.warm) if (w.function === fn && w.version === version) n += w.instances;
        }
        return n;
      },
    });
    opened.push({ close: () => rollouts.stop() });
    // Http trigger routes: an in-memory table every replica keeps current, and batched statistics.
    const httpRoutes = new HttpRouteTable(repos, state, { onError: (e) => log.warn({ err: e }, "http route refresh failed") });
    await httpRoutes.start();
    opened.push({ close: () => httpRoutes.stop() });
    const triggerStats = new TriggerStats(repos.triggers, { onError: (e) => log.warn({ err: e }, "trigger statistics flush failed") });
    triggerStats.start();
    opened.push({ name: "trigger statistics", close: () => triggerStats.close() });
    // Stream triggers: shared out over the replicas, one lease per trigger; checkpoints live in the brokers.
    const streamLog = log.child({ component: "streams" });
    const streamConnections = { ...config.streams, cluster: clusterId, stateKeyPrefix: config.state.kind === "redis" ? config.state.keyPrefix : undefined };
    const streams: StreamEngine = new StreamEngine({
      repos,
      invoker,
      stats: triggerStats,
      connections: streamConnections,
      state,
      namespace,
      holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      log: streamLog,
    });
    await streams.start();
    opened.push({ name: "the stream trigger consumers", close: () => streams.stop() });
    // Queue triggers: every replica consumes every enabled one (consumer groups share the work;
    // lease slots in the state store hold each trigger's maxConcurrency across replicas).
    const queueLog = log.child({ component: "queue-triggers" });
    const queueSources = new QueueSources(config.queues);
    const queueConsumers = new QueueConsumers({
      repos,
      state,
      sources: queueSources,
      invokeBatch: batchInvoker({ invoker, invocations: repos.invocations, stats: triggerStats, log: queueLog }),
      retryDelayMs: config.queues.retryDelayMs,
      slotTtlMs: config.queues.staleAfterMs,
      graceMs: config.shutdownGraceMs,
      log: queueLog,
    });
    await queueConsumers.start();
    opened.push({ name: "the queue trigger consumers", close: () => queueConsumers.stop() });
    const triggerChanges = {
      async invalidate(type: string) {
        await httpRoutes.invalidate(type);
        if (type === "Queue") await queueConsumers.reload();
        if (type === "Stream") void streams.poke();
      },
    };
    const app = createApp({
      functions,
      versions: new VersionService(repos, functions, codeStore, routing, (spec) =>
        runner.prefetch(spec).catch((e: unknown) => log.warn({ err: e, function: spec.functionName, version: spec.version }, "readying a new version's code on the runners failed; its first cold start will fetch it")),
      ),
      aliases,
      deployments: rollouts.service,
      usage: usage.service((name) => functions.require(name)),
      triggers: new TriggerService(repos, functions, triggerChanges, streamConnections, queueSources, { acceptsJwt: auth.jwt.configured }),
      logs: functionLogs.service,
      runner,
      health: { database, state, codeStore, runner, runnerList },
      backend: runtimesBackend,
      auth: auth.middleware,
      rateLimit: keyRateLimit(limits) as unknown as MiddlewareHandler<AppEnv>,
      log,
      version: pkg.version,
      metrics: { scrape: () => exposition(opts.runners === "embedded" && opts.metrics ? [metricsRegistry, opts.metrics] : [metricsRegistry]) },
      asyncRepos: repos,
      audit: repos,
      layers: new LayerService(repos, codeStore),
      secrets: { repos, box: auth.secretBox },
      keys: auth.keys,
    });

    const pipeline = invoker.pipeline.withAuthenticators(auth.authenticators).withLimits(limits).withTracing(tracing.tracer !== undefined);
    const gateway = { routes: httpRoutes, pipeline, stats: triggerStats, log, jwt: auth.jwt };
    const frontDoor = createFrontDoor({ pipeline, log, httpTriggers: createHttpGateway(gateway, GATEWAY_PATH_PREFIX), tracer: tracing.tracer });
    // HTTPS when HOTSWAP_TLS_CERT/KEY are set: read (and checked) before anything listens.
    const tls = config.tls ? await readTlsPair(config.tls) : undefined;
    const server = await listen(app.fetch, frontDoor, config.host, config.port, tls);
    const port = (server.address() as { port: number }).port;
    const hostPart = config.host.includes(":") ? `[${config.host}]` : config.host;
    const scheme = tls ? "https" : "http";
    const url = `${scheme}://${hostPart}:${port}`;
    const gatewayServer =
      config.gatewayPort !== undefined
        ? await listenGateway(createHttpGateway(gateway, ""), config.host, config.gatewayPort, tls).catch((e: unknown) => {
            server.close(); // the API listener is up already: do not leave it behind a failed start
            throw e;
          })
        : undefined;
    const gatewayPort = gatewayServer ? (gatewayServer.address() as { port: number }).port : undefined;
    // Only now, serving, is a generated admin key created: a start that failed before never made one nobody saw.
    const createdAdminKey = await auth.bootstrapAdminKey().catch((e: unknown) => {
      server.close();
      gatewayServer?.close();
      throw e;
    });
    // SIGHUP reads the certificate again into both listeners (new connections; open ones carry on).
    const reloader = config.tls ? new CertificateReloader(config.tls, log) : undefined;
    if (reloader) {
      reloader.add(server);
      if (gatewayServer) reloader.add(gatewayServer);
      reloader.start();
    }

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      ...(gatewayPort !== undefined ? { gatewayPort, gatewayUrl: `${scheme}://${hostPart}:${gatewayPort}` } : {}),
      createdAdminKey,
      app,
      closingStep: () => step,
      close: () =>
        (closing ??= (async () => {
          log.info("shutting down: no new requests, draining in-flight invocations");
          reloader?.stop();
          const grace = new Promise<void>((r) => setTimeout(r, config.shutdownGraceMs).unref());
          // Stop listening now; idle keep-alive connections would hold server.close() open for as
          // long as their clients keep them, so they go at once (busy ones after the drain).
          const stopped = new Promise<void>((r) => server.close(() => r()));
          server.closeIdleConnections();
          const gatewayStopped = new Promise<void>((r) => (gatewayServer ? gatewayServer.close(() => r()) : r()));
          gatewayServer?.closeIdleConnections();
          // Live tails are long requests: end them now with a final event rather than cut them at the end.
          await functionLogs.closeTails();
          step = "draining in-flight invocations";
          // Another replica can take over in-flight rollouts at once instead of after the lease TTL;
          // neither that nor the drain may hold the shutdown past the grace period.
          await Promise.race([
            Promise.all([rollouts.stop(), schedules.stop(), streams.stop(), workers.stop(config.shutdownGraceMs), queueConsumers.stop(), runner.drain()]),
            grace,
          ]);
          step = "closing client connections";
          server.closeAllConnections();
          gatewayServer?.closeAllConnections();
          await stopped;
          await gatewayStopped;
          await closeAll();
          step = "stopped";
          log.info("stopped");
        })()),
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** Fleet mode needs Redis (registry, heartbeats, leases) and the secret runners expect. */
function assertFleetConfig(config: Config): void {
  const missing: string[] = [];
  if (config.state.kind !== "redis") missing.push("REDIS_URL (runners register and heartbeat through Redis)");
  if (!config.clusterSecret) missing.push("HOTSWAP_CLUSTER_SECRET (the shared secret runners require, at least 16 characters)");
  if (missing.length > 0) {
    throw new Error(
      `hotswap server without --embedded-runner routes invocations to \`hotswap runner\` processes and needs ${missing.join(" and ")}. ` +
        `Set them, or pass --embedded-runner to run functions in this process.`,
    );
  }
}

/** One node:http server: the front door answers invocations, the Hono app everything else. */
function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  frontDoor: (req: IncomingMessage, res: ServerResponse) => boolean,
  hostname: string,
  port: number,
  tls: TlsPair | undefined,
): Promise<Server> {
  const hono = getRequestListener(fetch);
  const server = createListener(tls, (req, res) => {
    if (!frontDoor(req, res)) void hono(req, res);
  });
  answerClientErrors(server);
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolvePromise(server));
  });
}
