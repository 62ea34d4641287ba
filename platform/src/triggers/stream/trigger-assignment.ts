/**
 * Which control-plane replica should consume which Stream trigger: a pure, deterministic share-out
 * every replica computes from the same view (the triggers table and the announced replicas,
 * stream-replicas.ts), so they agree without talking to each other.
 *
 * - Fair: each replica's target is floor(triggers / replicas), and the remainder's extra one goes
 *   to the replicas that hold the most already (ties: holder order); so none gets more than
 *   ceil(triggers / replicas) while every replica can read every broker.
 * - Sticky: a trigger stays with the replica that holds it while that replica can read its broker
 *   and is within its target; so a replica that joins or leaves moves only the triggers it takes
 *   or gave up, never reshuffles the rest.
 * - The others (new triggers, those of a replica that left, a replica's surplus) go one by one, in
 *   trigger id order, to the least loaded replica below its target that can read their broker; if
 *   there is none, to the least loaded one that can (replicas that read fewer brokers leave more to
 *   the others).
 * The result says who should hold a trigger; the trigger's lease still decides who may, so two
 * replicas with different views at worst leave a trigger unconsumed for a pass, never run it twice.
 */

export interface AssignableTrigger {
  id: string;
  /** The broker it reads ("redis", "nats"): only replicas that can read it are candidates. */
  source: string;
}

export interface StreamReplica {
  holder: string;
  /** The brokers this replica has connection settings for. */
  sources: readonly string[];
  /** The triggers it holds the leases of, as it last announced. */
  holds: readonly string[];
}

/** Trigger id → the holder that should consume it; a trigger no replica can read is left out. */
export function assignTriggers(triggers: readonly AssignableTrigger[], replicas: readonly StreamReplica[]): Map<string, string> {
  const byId = [...triggers].sort((a, b) => compare(a.id, b.id));
  const members = [...replicas].sort((a, b) => compare(a.holder, b.holder));
  const load = new Map(members.map((m) => [m.holder, 0]));
  const holderOf = new Map<string, StreamReplica>();
  const wanted = new Set(byId.map((t) => t.id));
  for (const m of members) for (const id of m.holds) if (wanted.has(id) && !holderOf.has(id)) holderOf.set(id, m);
  const target = new Map<string, number>();
  if (members.length > 0) {
    const base = Math.floor(byId.length / members.length);
    const holding = (m: StreamReplica) => m.holds.filter((id) => holderOf.get(id) === m).length;
    const byHolding = [...members].sort((a, b) => holding(b) - holding(a) || compare(a.holder, b.holder));
    byHolding.forEach((m, i) => target.set(m.holder, base + (i < byId.length % members.length ? 1 : 0)));
  }
  const out = new Map<string, string>();
  for (const t of byId) {
    const current = holderOf.get(t.id);
    if (current && current.sources.includes(t.source) && load.get(current.holder)! < target.get(current.holder)!) {
      out.set(t.id, current.holder);
      load.set(current.holder, load.get(current.holder)! + 1);
    }
  }
  for (const t of byId) {
    if (out.has(t.id)) continue;
    const candidates = members.filter((m) => m.sources.includes(t.source));
    const below = candidates.filter((m) => load.get(m.holder)! < target.get(m.holder)!);
    let best: StreamReplica | undefined;
    for (const m of below.length > 0 ? below : candidates) if (!best || load.get(m.holder)! < load.get(best.holder)!) best = m;
    if (!best) continue;
    out.set(t.id, best.holder);
    load.set(best.holder, load.get(best.holder)! + 1);
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
