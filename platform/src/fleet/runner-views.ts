/**
 * What GET /api/v1/runners shows for each runner: health, capacity, load, warm instances per
 * function version and the last heartbeat. Two sources: the live fleet (registry, plus the
 * runner_nodes rows of runners that left when asked), and the embedded runner of `npm start`.
 */
import type { Repositories } from "../db/index.ts";
import type { RunnerVersionLoad } from "../../../protocol/fleet.ts";
import type { RunnerNode } from "../../../protocol/runner.ts";
import type { RunnerRegistry } from "./runner-registry.ts";
import type { RunnerView } from "../../../protocol/api/runners.ts";

/** The wire view of one runner; the schema (and the OpenAPI component) is in protocol/api/runners.ts. */
export type { RunnerView };

export interface RunnersSource {
  /** Live runners; with includeGone, also the recorded ones that died or stopped. */
  list(opts: { includeGone: boolean }): Promise<RunnerView[]>;
}

function versions(vs: readonly RunnerVersionLoad[]): RunnerView["warm"] {
  return vs
    .map((v) => ({ function: v.functionName, version: v.version, instances: v.instances, warm: v.warm, free: v.free, inflight: v.inflight, held: v.held }))
    .sort((a, b) => a.function.localeCompare(b.function) || a.version - b.version);
}

export function fleetRunnersSource(registry: RunnerRegistry, repos: Repositories): RunnersSource {
  return {
    async list({ includeGone }) {
      const now = Date.now();
      const live: RunnerView[] = registry.live().map((r) => {
        const hb = r.hb;
        const status = r.suspect ? "unreachable" : hb.state;
        return {
          id: hb.id,
          pool: hb.pool,
          labels: hb.labels,
          address: hb.address,
          backend: hb.backend,
          status,
          healthy: status === "ready",
          capacity: hb.capacity,
          load: hb.load,
          warm: versions(hb.versions),
          stems: hb.stems,
          lastHeartbeatAt: new Date(r.lastSeen).toISOString(),
          heartbeatAgeMs: now - r.lastSeen,
          registeredAt: new Date(hb.startedAt).toISOString(),
        };
      });
      if (includeGone) {
        const ids = new Set(live.map((r) => r.id));
        for (const n of await repos.runnerNodes.list()) {
          if (ids.has(n.id)) continue;
          const cap = n.capacity as { memoryMb?: number; maxInstances?: number };
          live.push({
            id: n.id,
            pool: n.pool,
            labels: n.labels,
            address: n.address,
            backend: n.backend,
            status: n.status === "ready" || n.status === "draining" || n.status === "unreachable" ? "dead" : n.status,
            healthy: false,
            capacity: { memoryMb: cap.memoryMb ?? null, maxInstances: cap.maxInstances ?? null },
            load: { inflight: 0, instances: 0, memoryMb: 0 },
            warm: [],
            stems: {},
            lastHeartbeatAt: n.lastHeartbeatAt.toISOString(),
            heartbeatAgeMs: now - n.lastHeartbeatAt.getTime(),
            registeredAt: n.registeredAt.toISOString(),
          });
        }
      }
      return live.sort((a, b) => a.pool.localeCompare(b.pool) || a.id.localeCompare(b.id));
    },
  };
}

/**
 * The in-process runner node of `hotswap server --embedded-runner`, shown as one runner. Its
 * capacity, load and stems come from the node's report, the same numbers a fleet runner heartbeats.
 */
export function embeddedRunnersSource(node: Pick<RunnerNode, "id" | "report">): RunnersSource {
  const startedAt = new Date().toISOString();
  return {
    async list() {
      const r = node.report();
      return [
        {
          id: node.id,
          pool: "embedded",
          labels: {},
          address: "in-process",
          backend: r.backend,
          status: r.state,
          healthy: r.state === "ready",
          capacity: r.capacity,
          load: r.load,
          warm: versions(r.versions),
          stems: r.stems,
          lastHeartbeatAt: null,
          heartbeatAgeMs: null,
          registeredAt: startedAt,
        },
      ];
    },
  };
}
