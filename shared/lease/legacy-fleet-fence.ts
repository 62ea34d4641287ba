/**
 * One release of compatibility for the capacity duty's fencing tokens. Capacity used to be placed
 * under the lease `hotswap:fleet:leader` (one per Redis, not per cluster), and a running runner
 * remembers the highest token it has seen and ignores provisioning commands below it. The lease
 * that replaces it, `hs:<cluster>:capacity:leader`, counts from 1, so a runner that outlives the
 * control planes' upgrade would ignore the new leader for good. Its tokens therefore continue above
 * the old lease's fence counter (LeaderLeaseOptions.tokenFloor).
 *
 * The Redis adapter keeps a lease's fence counter as the plain key `lease-fence:<name>` under its
 * prefix (redis-state-store.ts), which get() reads; legacy-fleet-fence.test.ts pins that down. The
 * memory store has no history from before an upgrade and reads 0.
 * Remove (and FLEET_LEADER_LEASE) in the release after this one, when no runner can remember it.
 */
import { FLEET_LEADER_LEASE } from "../../protocol/fleet.ts";
import type { StateStore } from "../state/state-store.ts";

/** The old fleet lease's last fencing token, as a tokenFloor for the capacity duty. */
export function legacyFleetTokenFloor(state: StateStore): () => Promise<number> {
  return async () => Number((await state.get(`lease-fence:${FLEET_LEADER_LEASE}`)) ?? 0) || 0;
}
