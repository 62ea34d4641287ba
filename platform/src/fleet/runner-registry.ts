/**
 * The control plane's live view of the runner fleet, held in memory and fed by heartbeats on the
 * state store's pub/sub (never a database read per invocation). A runner silent for 3 heartbeat
 * intervals is dead and leaves the view; a runner that refuses connections is taken out of
 * routing at once (suspect) until it heartbeats again. Each entry also carries the placement data
 * the router reads on every invocation: free warm slots per version (from heartbeats, refreshed
 * by every reply) and the load this replica and the others put on it.
 */
import type { StateStore, Unsubscribe } from "../../../shared/state/state-store.ts";
import {
  HEARTBEAT_CHANNEL,
  MISSED_HEARTBEATS_DEAD,
  RunnerHeartbeat,
  runnerKey,
  type RunnerHeartbeat as Heartbeat,
} from "../../../protocol/fleet.ts";
import { openHeartbeat } from "../../../protocol/heartbeat-signature.ts";
import { RunnerClient, type RunnerClientOptions } from "./runner-client.ts";
import { pickRunner, type PlacementView } from "./placement.ts";

interface VersionSlots {
  /** Free slots the runner last reported. */
  free: number;
  /** Invocations this replica sent since that report. */
  sent: number;
  /** Date.now() when a reply last reported `free` (0: it came from a heartbeat). */
  answeredAt: number;
}

/**
 * A reply's free-slot count is fresher than a heartbeat arriving shortly after it: that heartbeat
 * may have been built while the invocation was still running (and so count its slot as busy).
 * Within this window a heartbeat does not overwrite what a reply said.
 */
const REPLY_TRUST_MS = 1500;

/** One live runner. Mutable placement state lives here so the hot path does no lookups by id. */
export class RunnerEntry {
  hb: Heartbeat;
  /** Date.now() when the last heartbeat arrived. */
  lastSeen: number;
  readonly client: RunnerClient;
  /** Set while connections fail: out of routing until a heartbeat newer than this seq. */
  suspect: { untilSeq: number; reason: string } | undefined;
  /** Invocations this replica has in flight on the runner. */
  inflightHere = 0;
  /** Invocations other replicas had in flight there, as of the last report. */
  inflightElsewhere = 0;
  private readonly slots = new Map<string, VersionSlots>();

  constructor(hb: Heartbeat, secret: string, now: number, clientOptions?: RunnerClientOptions) {
    this.hb = hb;
    this.lastSeen = now;
    this.client = new RunnerClient(hb.address, secret, { ...clientOptions, channel: hb.channel === true && clientOptions?.channel !== false });
    this.applySlots(hb);
  }

  get id(): string {
    return this.hb.id;
  }

  /** Estimated free warm slots of version `key`. */
  free(key: string): number {
    const s = this.slots.get(key);
    return s === undefined ? 0 : s.free - s.sent;
  }

  /** Load relative to capacity; a full runner without a warm slot ranks behind every runner with room. */
  load(key: string): number {
    const max = this.hb.capacity.maxInstances;
    const base = (this.inflightHere + this.inflightElsewhere) / max;
    return this.hb.load.instances >= max && this.free(key) <= 0 ? base + 1 : base;
  }

  /** Bookkeeping before forwarding an invocation of `key`. */
  sent(key: string): void {
    this.inflightHere++;
    const s = this.slots.get(key);
    if (s !== undefined) s.sent++;
    else this.slots.set(key, { free: 0, sent: 1, answeredAt: 0 });
  }

  /** Bookkeeping after the reply (free/inflight come from the reply's headers when it had them). */
  answered(key: string, free: number | undefined, inflight: number | undefined): void {
    this.inflightHere--;
    if (free !== undefined) {
      const s = this.slots.get(key);
      if (s !== undefined) {
        s.free = free;
        s.sent = 0;
        s.answeredAt = Date.now();
      } else this.slots.set(key, { free, sent: 0, answeredAt: Date.now() });
    }
    if (inflight !== undefined) this.inflightElsewhere = Math.max(0, inflight - this.inflightHere);
  }

  /** A heartbeat replaces the placement data with the runner's own account. */
  update(hb: Heartbeat, now: number): void {
    this.hb = hb;
    this.lastSeen = now;
    this.applySlots(hb);
    this.inflightElsewhere = Math.max(0, hb.load.inflight - this.inflightHere);
  }

  private applySlots(hb: Heartbeat): void {
    // Wall clock on purpose: answeredAt is stamped with Date.now() as replies arrive.
    const now = Date.now();
    const recent = (key: string) => {
      const s = this.slots.get(key);
      return s !== undefined && s.answeredAt > 0 && now - s.answeredAt < REPLY_TRUST_MS;
    };
    const seen = new Set<string>();
    for (const v of hb.versions) {
      seen.add(v.key);
      if (!recent(v.key)) this.slots.set(v.key, { free: v.free, sent: 0, answeredAt: 0 });
    }
    for (const key of this.slots.keys()) if (!seen.has(key) && !recent(key)) this.slots.delete(key);
  }
}

/** A runner that left the view, and why: it deregistered (drained) or went silent. */
export interface Departure {
  id: string;
  reason: "stopped" | "dead";
  at: number;
}

export interface RegistryEvents {
  /** A runner joined, left, or changed state (ready/draining). */
  onChange?(): void;
  onError?(err: unknown): void;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface RegistryOptions extends RegistryEvents {
  secret: string;
  /** How often silent runners are checked for. @default 100 */
  sweepMs?: number;
  /** Ids to look up at start (from runner_nodes), so routing works before the first heartbeat. */
  knownIds?: () => Promise<string[]>;
  now?: () => number;
  /** Options of every runner's client (the tracer of the hop span). */
  clientOptions?: RunnerClientOptions;
}

const VIEW: PlacementView<RunnerEntry> = {
  free: (r, key) => r.free(key),
  load: (r, key) => r.load(key),
};

export class RunnerRegistry {
  private readonly entries = new Map<string, RunnerEntry>();
  /** Ready, non-suspect runners: what pick() draws from. Rebuilt when membership or state changes. */
  private routable: RunnerEntry[] = [];
  /** Ready but suspect runners: tried only when no other runner is left (a blip must not stop a one-runner fleet). */
  private fallback: RunnerEntry[] = [];
  private unsubscribe: Unsubscribe | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private departures: Departure[] = [];
  private readonly warnedAt = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly state: StateStore,
    private readonly opts: RegistryOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.state.subscribe(HEARTBEAT_CHANNEL, (text) => this.onMessage(text));
    // Runners heartbeating already are in the state store under their key: no need to wait a beat.
    const ids = (await this.opts.knownIds?.().catch((e) => (this.opts.onError?.(e), []))) ?? [];
    await Promise.all(
      ids.map(async (id) => {
        const rec = await this.state.hgetall(runnerKey(id)).catch(() => ({}) as Record<string, string>);
        if (rec.hb) this.onMessage(rec.hb);
      }),
    );
    this.sweepTimer = setInterval(() => this.sweep(), this.opts.sweepMs ?? 100);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.unsubscribe?.();
    await Promise.all([...this.entries.values()].map((e) => e.client.close().catch(() => {})));
    this.entries.clear();
    this.routable = [];
    this.fallback = [];
  }

  /** Choose a runner for version `key` (warm first, else power of two choices), never `exclude`. */
  pick(key: string, exclude?: RunnerEntry): RunnerEntry | undefined {
    const runners = this.routable;
    if (runners.length === 1 && runners[0] !== exclude) return runners[0];
    return pickRunner(runners, key, VIEW, exclude) ?? (this.fallback.length > 0 ? pickRunner(this.fallback, key, VIEW, exclude) : undefined);
  }

  /** Runners that take work now. */
  ready(): readonly RunnerEntry[] {
    return this.routable;
  }

  /** Every runner with a live heartbeat (ready, draining or suspect). */
  live(): RunnerEntry[] {
    return [...this.entries.values()];
  }

  get(id: string): RunnerEntry | undefined {
    return this.entries.get(id);
  }

  /** Runners that left since the last call (for the runner_nodes mirror). */
  takeDepartures(): Departure[] {
    const d = this.departures;
    this.departures = [];
    return d;
  }

  /** Take a runner out of routing after a connection failure, until it heartbeats again. */
  markSuspect(entry: RunnerEntry, reason: string): void {
    if (this.entries.get(entry.id) !== entry || entry.suspect !== undefined) return;
    // The next beat may have been sent before the failure; the one after cannot have been.
    entry.suspect = { untilSeq: entry.hb.seq + 2, reason };
    this.opts.log?.warn({ runner: entry.id, reason }, "runner unreachable; routing around it until it heartbeats again");
    this.rebuild();
  }

  /** Warn of an untrusted heartbeat, at most once a minute per reason: a forger must not flood the log. */
  private warnUntrusted(reason: string): void {
    const now = this.now();
    if ((this.warnedAt.get(reason) ?? -Infinity) > now - 60_000) return;
    this.warnedAt.set(reason, now);
    this.opts.log?.warn({ reason }, "ignoring a heartbeat that is not signed with the cluster secret");
  }

  /** A reply proves the runner is reachable again. */
  clearSuspect(entry: RunnerEntry): void {
    if (entry.suspect === undefined) return;
    entry.suspect = undefined;
    this.rebuild();
  }

  private onMessage(message: string): void {
    const opened = openHeartbeat(message, this.opts.secret);
    if (!opened.ok) {
      this.warnUntrusted(opened.reason);
      return;
    }
    let hb: Heartbeat;
    try {
      hb = RunnerHeartbeat.parse(JSON.parse(opened.json));
    } catch (e) {
      this.opts.onError?.(new Error(`ignoring a malformed heartbeat: ${(e as Error).message}`));
      return;
    }
    const now = this.now();
    const entry = this.entries.get(hb.id);
    if (hb.state === "stopped") {
      // Deregistration: only for the boot that sent it (a restarted runner may already be back).
      if (entry !== undefined && entry.hb.bootId === hb.bootId) this.remove(entry, "stopped");
      return;
    }
    if (entry === undefined || entry.hb.bootId !== hb.bootId || entry.hb.address !== hb.address) {
      if (entry !== undefined && hb.at < entry.hb.at && entry.hb.bootId !== hb.bootId) return; // a late beat of an older boot
      if (entry !== undefined) void entry.client.close().catch(() => {});
      this.entries.set(hb.id, new RunnerEntry(hb, this.opts.secret, now, this.opts.clientOptions));
      this.opts.log?.info({ runner: hb.id, address: hb.address, pool: hb.pool }, "runner joined");
      this.rebuild();
      this.opts.onChange?.();
      return;
    }
    if (hb.seq <= entry.hb.seq) return; // out of order
    const stateChanged = entry.hb.state !== hb.state;
    entry.update(hb, now);
    let rebuild = stateChanged;
    if (entry.suspect !== undefined && hb.seq >= entry.suspect.untilSeq) {
      entry.suspect = undefined;
      rebuild = true;
    }
    if (rebuild) this.rebuild();
    if (stateChanged) this.opts.onChange?.();
  }

  private sweep(): void {
    const now = this.now();
    for (const e of this.entries.values()) {
      if (now - e.lastSeen > MISSED_HEARTBEATS_DEAD * e.hb.intervalMs) this.remove(e, "dead");
    }
  }

  private remove(entry: RunnerEntry, reason: Departure["reason"]): void {
    if (this.entries.get(entry.id) !== entry) return;
    this.entries.delete(entry.id);
    if (this.departures.length < 1000) this.departures.push({ id: entry.id, reason, at: this.now() });
    this.opts.log?.info({ runner: entry.id, why: reason === "dead" ? "missed 3 heartbeats" : "deregistered after draining" }, "runner left");
    // In-flight invocations on it finish (or fail) on their own; close the pool afterwards.
    setTimeout(() => void entry.client.close().catch(() => {}), 60_000).unref();
    this.rebuild();
    this.opts.onChange?.();
  }

  private rebuild(): void {
    const next: RunnerEntry[] = [];
    const fallback: RunnerEntry[] = [];
    for (const e of this.entries.values()) {
      if (e.hb.state !== "ready") continue;
      if (e.suspect === undefined) next.push(e);
      else fallback.push(e);
    }
    this.routable = next;
    this.fallback = fallback;
  }
}
