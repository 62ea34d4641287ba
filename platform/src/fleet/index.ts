/**
 * The control plane's side of the runner fleet, composed: the registry fed by heartbeats, the
 * FleetRunner the invoker calls, the leader lease, and the leader-only work (capacity planning,
 * the runner_nodes mirror). `hotswap server` without --embedded-runner starts this.
 */
import type { Repositories } from "../db/index.ts";
import type { RoutingTable } from "../router/routing-table.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { CapacityPlanner } from "./capacity-planner.ts";
import { FleetRunner } from "./fleet-runner.ts";
import { LeaderLease } from "../../../shared/lease/leader-lease.ts";
import { legacyFleetTokenFloor } from "../../../shared/lease/legacy-fleet-fence.ts";
import { RunnerNodesMirror } from "./runner-nodes-mirror.ts";
import { RunnerRegistry } from "./runner-registry.ts";
import { fleetRunnersSource, type RunnersSource } from "./runner-views.ts";
import type { Tracer } from "@opentelemetry/api";

export { FleetRunner, NO_RUNNER_MESSAGE } from "./fleet-runner.ts";
export { ReservedConcurrencyGate } from "./reserved-concurrency.ts";
export { embeddedRunnersSource, type RunnersSource, type RunnerView } from "./runner-views.ts";

export interface FleetDeps {
  state: StateStore;
  repos: Repositories;
  routing: RoutingTable;
  /** HOTSWAP_CLUSTER_SECRET, presented to every runner. */
  secret: string;
  /** Unique name of this replica for the leader lease. */
  holder: string;
  /** The cluster's state-store key prefix (`hs:<cluster id>:`), which scopes the capacity lease. */
  namespace: string;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Traces the hop to each runner (a CLIENT span) when tracing is on. */
  tracer?: Tracer;
  /** PEM of the CA the runners' HTTPS certificates are signed by (HOTSWAP_RUNNER_TLS_CA). */
  runnerCa?: Buffer;
  /** The name runners' certificates are checked against (HOTSWAP_RUNNER_TLS_SERVERNAME); else their advertised address. */
  runnerServername?: string | undefined;
}

export interface Fleet {
  runner: FleetRunner;
  registry: RunnerRegistry;
  lease: LeaderLease;
  planner: CapacityPlanner;
  runnerList: RunnersSource;
  /** Give up the lease, stop planning and listening to heartbeats, close runner connections. */
  stop(): Promise<void>;
}

export async function startFleet(deps: FleetDeps): Promise<Fleet> {
  const { state, repos, log } = deps;
  let planner: CapacityPlanner | undefined;
  let mirror: RunnerNodesMirror | undefined;
  const registry = new RunnerRegistry(state, {
    secret: deps.secret,
    clientOptions: { tracer: deps.tracer, ...(deps.runnerCa ? { ca: deps.runnerCa } : {}), ...(deps.runnerServername ? { servername: deps.runnerServername } : {}) },
    log,
    onError: (e) => log.warn({ err: e }, "runner registry"),
    onChange: () => {
      planner?.tickSoon();
      void mirror?.sync();
    },
    knownIds: async () => (await repos.runnerNodes.list()).filter((n) => n.status !== "dead" && n.status !== "stopped").map((n) => n.id),
  });
  await registry.start();
  // The capacity duty's lease: its holder places capacity and keeps the runner_nodes mirror.
  const lease = new LeaderLease(state, {
    duty: "capacity",
    namespace: deps.namespace,
    holder: deps.holder,
    tokenFloor: legacyFleetTokenFloor(state),
    onAcquired: (token) => {
      log.info({ holder: deps.holder, token }, "fleet leader: this replica places capacity");
      planner?.tickSoon();
    },
    onLost: (token, why) => {
      log.info({ holder: deps.holder, token, why }, "fleet leadership lost");
      planner?.tickSoon();
    },
    onError: (e) => log.warn({ err: e }, "fleet leader lease"),
  });
  try {
    await lease.start();
    planner = new CapacityPlanner({ repos, routing: deps.routing, state, registry, lease, log });
    await planner.start();
    mirror = new RunnerNodesMirror(repos, registry, lease, log);
    mirror.start();
  } catch (e) {
    await planner?.stop();
    await lease.stop();
    await registry.stop();
    throw e;
  }
  const runner = new FleetRunner(registry);
  return {
    runner,
    registry,
    lease,
    planner,
    runnerList: fleetRunnersSource(registry, repos),
    async stop() {
      await planner!.stop();
      await mirror!.stop();
      await lease.stop();
      await registry.stop();
    },
  };
}
