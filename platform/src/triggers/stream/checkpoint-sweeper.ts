/**
 * Removes Stream trigger checkpoints that outlived their trigger's use of them: those of triggers
 * deleted while no replica held their lease (disabled at the time, or their replica died just
 * then), and a trigger's old checkpoint after it moved to another source or stream while disabled.
 * (A trigger deleted or moved while it is consumed has its checkpoint removed by its lease holder
 * at once, stream-engine.ts.) Each removal is made holding the trigger's lease, so no consumer of
 * it runs, and after reading the trigger again, so one created or moved meanwhile keeps its own.
 * Only this cluster's checkpoints are looked at: another installation's triggers, sharing the
 * broker, are not in this database and must not look deleted.
 */
import { StreamTriggerConfig } from "../../../../protocol/api/triggers.ts";
import type { LeaderLease } from "../../../../shared/lease/leader-lease.ts";
import type { Repositories, Trigger } from "../../db/index.ts";
import { listNatsCheckpoints } from "./nats-stream-source.ts";
import { listRedisCheckpoints } from "./redis-stream-source.ts";
import { streamSourceFor, type StreamConnections } from "./stream-sources.ts";

export interface CheckpointSweep {
  connections: StreamConnections;
  repos: Pick<Repositories, "triggers">;
  /** The Stream triggers as just listed. */
  triggers: readonly Trigger[];
  /** Triggers this replica holds: their holder handles them (and taking their lease again would hand it back). */
  held: ReadonlySet<string>;
  /** A new, unstarted lease of trigger `id`. */
  lease(id: string): LeaderLease;
}

/** Where a trigger's checkpoint is kept: its source and stream (undefined for an unreadable config). */
export function checkpointOf(config: unknown): string | undefined {
  const parsed = StreamTriggerConfig.safeParse(config);
  return parsed.success ? JSON.stringify([parsed.data.source, parsed.data.stream]) : undefined;
}

/** Remove the stale checkpoints; resolves how many went. Broker errors reject (the next sweep retries). */
export async function sweepCheckpoints(o: CheckpointSweep): Promise<number> {
  const { redisUrl, natsUrl, cluster } = o.connections;
  const found = [
    ...(redisUrl ? (await listRedisCheckpoints(redisUrl, cluster)).map((c) => ({ ...c, source: "redis" as const })) : []),
    ...(natsUrl ? (await listNatsCheckpoints(natsUrl, cluster)).map((c) => ({ ...c, source: "nats" as const })) : []),
  ];
  const current = new Map(o.triggers.map((t) => [t.id, checkpointOf(t.config)]));
  let removed = 0;
  for (const c of found) {
    const at = JSON.stringify([c.source, c.stream]);
    if (o.held.has(c.triggerId) || !isStale(current, c.triggerId, at)) continue;
    const lease = o.lease(c.triggerId);
    await lease.hold();
    if (!lease.isLeader()) continue; // consumed elsewhere: its holder removes what it leaves
    try {
      const t = await o.repos.triggers.get(c.triggerId);
      if (!isStale(new Map(t ? [[t.id, checkpointOf(t.config)]] : []), c.triggerId, at)) continue;
      await streamSourceFor(o.connections, c.triggerId, StreamTriggerConfig.parse({ source: c.source, stream: c.stream }))!.forgetCheckpoint();
      removed++;
    } finally {
      await lease.stop();
    }
  }
  return removed;
}

/** Stale: its trigger is gone, or is a Stream trigger that now keeps its checkpoint elsewhere. */
function isStale(current: ReadonlyMap<string, string | undefined>, triggerId: string, at: string): boolean {
  if (!current.has(triggerId)) return true;
  const now = current.get(triggerId);
  return now !== undefined && now !== at;
}
