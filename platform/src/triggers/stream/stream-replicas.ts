/**
 * The control-plane replicas that take part in consuming Stream triggers, as the share-out
 * (trigger-assignment.ts) sees them. Each replica announces itself on every pass in one state-store
 * hash, `<cluster namespace>stream-replicas`: its holder id → `{until, sources, holds}` (until when
 * the announcement counts, the brokers it can read, the triggers it holds). A replica whose `until`
 * has passed is left out, and its field removed once it is a further TTL old; a replica that stops
 * cleanly removes its own at once, so the others take its triggers on their next pass.
 *
 * `until` is read on the reader's clock: replicas' clocks are assumed to agree within about a TTL.
 * A skewed or stale view only slows or unbalances the share-out: the per-trigger leases alone decide
 * who consumes, so it can never make two replicas consume one trigger.
 */
import type { StateStore } from "../../../../shared/state/state-store.ts";
import type { StreamReplica } from "./trigger-assignment.ts";

interface Announcement {
  until: number;
  sources: string[];
  holds: string[];
}

export class StreamReplicas {
  private readonly key: string;

  constructor(
    private readonly state: Pick<StateStore, "hset" | "hgetall" | "hdel">,
    namespace: string,
    private readonly self: string,
    /** How long an announcement counts without being refreshed. */
    private readonly ttlMs: number,
  ) {
    this.key = `${namespace}stream-replicas`;
  }

  /** Announce this replica (what it can read, what it holds) for the next `ttlMs`. */
  async announce(sources: readonly string[], holds: readonly string[]): Promise<void> {
    const a: Announcement = { until: Date.now() + this.ttlMs, sources: [...sources], holds: [...holds] };
    // The hash itself outlives its newest announcement by a TTL, so a cluster with no replica left leaves nothing behind.
    await this.state.hset(this.key, { [this.self]: JSON.stringify(a) }, { ttlMs: 2 * this.ttlMs });
  }

  /** The replicas whose announcements still count (stale ones a TTL past are removed). */
  async live(): Promise<StreamReplica[]> {
    const now = Date.now();
    const out: StreamReplica[] = [];
    const dead: string[] = [];
    for (const [holder, raw] of Object.entries(await this.state.hgetall(this.key))) {
      const a = parse(raw);
      if (a && a.until > now) out.push({ holder, sources: a.sources, holds: a.holds });
      else if (!a || a.until + this.ttlMs < now) dead.push(holder);
    }
    if (dead.length > 0) await this.state.hdel(this.key, dead);
    return out;
  }

  /** Leave: the others share this replica's triggers out on their next pass. */
  async leave(): Promise<void> {
    await this.state.hdel(this.key, [this.self]);
  }
}

function parse(raw: string): Announcement | undefined {
  try {
    const a = JSON.parse(raw) as Partial<Announcement>;
    if (typeof a.until === "number" && Array.isArray(a.sources) && Array.isArray(a.holds)) return a as Announcement;
  } catch {
    // An unreadable field is dropped like a stale one.
  }
  return undefined;
}
