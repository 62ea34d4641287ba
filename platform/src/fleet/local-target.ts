/**
 * The embedded runner (`hotswap server --embedded-runner`) as a placement target, so provisioned
 * concurrency, scheduled minimums and keep-warm work in `npm start` too: the capacity planner
 * provisions the in-process runner node directly, with no lease (each embedded control plane plans
 * for its own runner). Its capacity and holdings come from the node's report, as a fleet runner's
 * come from its heartbeat.
 */
import { randomUUID } from "node:crypto";
import type { ProvisionRequest } from "../../../protocol/fleet.ts";
import type { RunnerNode } from "../../../protocol/runner.ts";
import type { PlacementTarget, PlacementTargets } from "./capacity-planner.ts";

export function localPlacementTargets(node: Pick<RunnerNode, "id" | "report" | "provision">): PlacementTargets {
  const target: PlacementTarget = {
    id: node.id,
    hb: {
      bootId: randomUUID(),
      get capacity() {
        return node.report().capacity;
      },
      get versions() {
        return node.report().versions;
      },
    },
    load: () => 0,
    client: {
      async provision(req: ProvisionRequest) {
        try {
          return { ok: true, value: await node.provision(req) };
        } catch (e) {
          return { ok: false, error: (e as Error).message };
        }
      },
    },
  };
  return { ready: () => [target], get: (id) => (id === target.id ? target : undefined) };
}
