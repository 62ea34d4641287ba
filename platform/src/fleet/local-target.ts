/**
 * The embedded runner (`hotswap server --embedded-runner`) as a placement target, so provisioned
 * concurrency, scheduled minimums and keep-warm work in `npm start` too: the capacity planner
 * provisions it directly, with no lease (each embedded control plane plans for its own runner).
 */
import { randomUUID } from "node:crypto";
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import type { ProvisionRequest } from "../../../protocol/fleet.ts";
import type { PlacementTarget, PlacementTargets } from "./capacity-planner.ts";

export interface LocalProvisioner {
  status(): { id: string };
  versionStats(): Array<{ key: string; instances: number; held: number }>;
  provision(spec: FunctionSpec, count: number, opts: { holdMs?: number; touch?: boolean }): Promise<number>;
}

export function localPlacementTargets(local: LocalProvisioner, maxInstances: number): PlacementTargets {
  const target: PlacementTarget = {
    id: local.status().id,
    hb: {
      bootId: randomUUID(),
      capacity: { maxInstances },
      get versions() {
        return local.versionStats();
      },
    },
    load: () => 0,
    client: {
      async provision(req: ProvisionRequest) {
        try {
          const live = await local.provision(req.spec, req.count, { holdMs: req.holdMs, touch: req.touch });
          return { ok: true, value: { live, applied: true } };
        } catch (e) {
          return { ok: false, error: (e as Error).message };
        }
      },
    },
  };
  return { ready: () => [target], get: (id) => (id === target.id ? target : undefined) };
}
