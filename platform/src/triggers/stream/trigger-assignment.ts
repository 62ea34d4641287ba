/**
 * Which control-plane replica should consume which Stream trigger: a pure, deterministic share-out
 * every replica computes from the same view (the triggers table and the announced replicas,
 * stream-replicas.ts), so they agree without talking to each other.
 *
 * - Sticky: a trigger stays with the replica that holds it, as long as that replica can read its
 *   broker and holds no more than its fair share, ceil(triggers / replicas); so a replica that
 *   joins or leaves moves only the triggers it takes or gave up, never reshuffles the rest.
 * - The others (new triggers, those of a replica that left, a replica's surplus) go one by one, in
 *   trigger id order, to the least loaded replica that can read their broker (ties: holder order).
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
  const share = members.length === 0 ? 0 : Math.ceil(byId.length / members.length);
  const load = new Map(members.map((m) => [m.holder, 0]));
  const holderOf = new Map<string, StreamReplica>();
  for (const m of members) for (const id of m.holds) if (!holderOf.has(id)) holderOf.set(id, m);
  const out = new Map<string, string>();
  for (const t of byId) {
    const current = holderOf.get(t.id);
    if (current && current.sources.includes(t.source) && load.get(current.holder)! < share) {
      out.set(t.id, current.holder);
      load.set(current.holder, load.get(current.holder)! + 1);
    }
  }
  for (const t of byId) {
    if (out.has(t.id)) continue;
    let best: StreamReplica | undefined;
    for (const m of members) if (m.sources.includes(t.source) && (!best || load.get(m.holder)! < load.get(best.holder)!)) best = m;
    if (!best) continue;
    out.set(t.id, best.holder);
    load.set(best.holder, load.get(best.holder)! + 1);
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
