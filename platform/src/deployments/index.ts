/**
 * Progressive rollouts: wires the metrics reader, analysis, driver, leader-lease orchestrator and
 * the API-facing service together. The composition root calls startRollouts once per process.
 */
import type { Repositories } from "../db/index.ts";
import type { AliasService } from "../functions/alias-service.ts";
import type { FunctionService } from "../functions/function-service.ts";
import { MetricsReader } from "../metrics/metrics-reader.ts";
import type { RunnerHandle } from "../../../protocol/runner.ts";
import { specKey } from "../../../protocol/invoke.ts";
import type { Invoker } from "../router/invoker.ts";
import type { RoutingTable } from "../router/routing-table.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { DeploymentService } from "./deployment-service.ts";
import { DeploymentDriver, type DriverDeps } from "./driver.ts";
import { RolloutOrchestrator, wakeChannel, type OrchestratorLog } from "./orchestrator.ts";
import { RolloutAnalyzer } from "./rollout-analysis.ts";
import { Transitions } from "./transitions.ts";
import type { DeploymentMetrics } from "../metrics/deployment-metrics.ts";
import type { TokenBox } from "./prometheus-token.ts";

export { DeploymentAliasGuard } from "./alias-guard.ts";
export { DeploymentService } from "./deployment-service.ts";

/** State-store key prefix of the cluster `clusterId` (DeploymentsRepository.clusterId): `hs:<cluster id>:`. */
export function clusterNamespace(clusterId: string): string {
  return `hs:${clusterId}:`;
}

export interface RolloutDeps {
  repos: Repositories;
  state: StateStore;
  functions: FunctionService;
  aliases: AliasService;
  invoker: Invoker;
  runner: RunnerHandle;
  routing: RoutingTable;
  namespace: string;
  /** Unique per process. */
  holder: string;
  log: OrchestratorLog;
  /** Runners a Rolling deployment moves batch by batch. @default one (the embedded runner) */
  runnerCount?: () => Promise<number>;
  /** Live instances of a version across the runners (blue-green prewarms the target to this). @default the runner's warm count */
  instancesOf?: (functionName: string, version: number) => Promise<number>;
  tickMs?: number;
  leaseTtlMs?: number;
  /** Counts finished deployments (Prometheus); none when unset. */
  metrics?: DeploymentMetrics;
  /** Runs analysis.prometheus queries. @default queryInstant (fetch) */
  queryPrometheus?: DriverDeps["queryPrometheus"];
  /** HOTSWAP_APPROVAL_TIMEOUT. @default 24 h */
  approvalTimeoutMs?: number;
  /** Seals the analysis.prometheus bearer token at create and opens it for the query; stored in plain text without one. */
  box?: TokenBox;
}

export interface Rollouts {
  service: DeploymentService;
  orchestrator: RolloutOrchestrator;
  stop(): Promise<void>;
}

export async function startRollouts(deps: RolloutDeps): Promise<Rollouts> {
  const now = () => Date.now();
  const metrics = new MetricsReader(deps.state, { namespace: deps.namespace, now });
  // The orchestrator is the Leadership the transitions consult, and it drives the driver: built in two steps.
  let orchestrator: RolloutOrchestrator | undefined;
  const leadership = {
    token: () => orchestrator!.token(),
    confirm: () => orchestrator!.confirm(),
  };
  const driver = new DeploymentDriver({
    repos: deps.repos,
    transitions: new Transitions(deps.repos, deps.aliases, leadership, now, (d, status) => deps.metrics?.finished(d, status)),
    analyzer: new RolloutAnalyzer(metrics),
    invoker: deps.invoker,
    runner: deps.runner,
    routing: deps.routing,
    runnerCount: deps.runnerCount ?? (async () => 1),
    instancesOf:
      deps.instancesOf ??
      (async (fn, version) => {
        const spec = deps.routing.spec(fn, version);
        return spec ? (deps.runner.status().warm[specKey(spec)] ?? 0) : 0;
      }),
    now,
    queryPrometheus: deps.queryPrometheus,
    box: deps.box,
  });
  orchestrator = new RolloutOrchestrator(deps.repos, deps.state, driver, {
    namespace: deps.namespace,
    holder: deps.holder,
    tickMs: deps.tickMs,
    leaseTtlMs: deps.leaseTtlMs,
    log: deps.log,
  });
  const service = new DeploymentService({
    repos: deps.repos,
    functions: deps.functions,
    metrics,
    approvalTimeoutMs: deps.approvalTimeoutMs,
    box: deps.box,
    wake: async () => {
      orchestrator!.wake();
      await deps.state.publish(wakeChannel(deps.namespace), "wake");
    },
  });
  await orchestrator.start();
  return { service, orchestrator, stop: () => orchestrator!.stop() };
}
