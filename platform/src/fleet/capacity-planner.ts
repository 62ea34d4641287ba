/**
 * Leader-only capacity decisions: provisioned concurrency, scheduled minimums and keep-warm.
 *
 * Every tick (1 s, and soon after the fleet changes) the leader works out, for each function with
 * such a setting, how many instances of its target version (alias `live`, else the latest) must
 * stay initialised: max(provisionedConcurrency, the minimum of any open scheduled window). It
 * spreads that number evenly over the ready runners, keeping existing holds where they are, and
 * sends each runner a provisioning command (count + a hold that the idle sweep respects, fenced by
 * the lease token). Holds are refreshed well before they lapse, so when the leader dies they run
 * out on their own; when a runner dies, its share moves to the survivors on the next tick.
 * keepWarm fires on its cron: the instances there are touched (a new idle period) and missing
 * ones are started, without a hold.
 * Function settings come from the database, reloaded when the routing channel announces a change.
 */
import { specKey, type FunctionSpec } from "../../../protocol/invoke.ts";
import type { Repositories, FunctionRecord } from "../db/index.ts";
import type { RoutingTable } from "../router/routing-table.ts";
import { ROUTING_CHANNEL } from "../router/routing-table.ts";
import type { StateStore, Unsubscribe } from "../../../shared/state/state-store.ts";
import { capacityOf, nextKeepWarm, scheduledMinimum, type KeepWarm, type ScalingSchedule } from "./capacity-settings.ts";
import type { ProvisionRequest, ProvisionResult } from "../../../protocol/fleet.ts";
import type { ClientResult } from "./runner-client.ts";
import { shares } from "./placement.ts";

/**
 * A runner as the planner sees it: a fleet RunnerEntry, or the embedded runner (local-target.ts).
 * `hb` is its latest heartbeat (what it reports holding), `client` takes provisioning commands.
 */
export interface PlacementTarget {
  readonly id: string;
  readonly hb: {
    readonly bootId: string;
    readonly capacity: { readonly maxInstances: number };
    readonly versions: ReadonlyArray<{ readonly key: string; readonly instances: number; readonly held: number }>;
  };
  load(key: string): number;
  readonly client: { provision(req: ProvisionRequest): Promise<ClientResult<ProvisionResult>> };
}

export interface PlacementTargets {
  /** Runners that take work now. */
  ready(): readonly PlacementTarget[];
  get(id: string): PlacementTarget | undefined;
}

interface Target {
  name: string;
  /** The version an unqualified invoke runs (primary of alias live, else the latest). */
  version: number | undefined;
  provisioned: number;
  schedules: ScalingSchedule[];
  keepWarm: KeepWarm | null;
}

interface Sent {
  count: number;
  at: number;
  bootId: string;
  spec: FunctionSpec;
}

export interface CapacityPlannerOptions {
  repos: Repositories;
  routing: RoutingTable;
  state: StateStore;
  registry: PlacementTargets;
  /**
   * The capacity duty's leader lease (shared/lease): the planner acts only while it has a token, and
   * the token fences every command. A fleet shares it through the state store; the embedded runner
   * holds a process-local one.
   */
  lease: { readonly token: number | undefined };
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** @default 1000 */
  tickMs?: number;
  /** How long a hold lasts on a runner without a refresh. @default 10000 */
  holdMs?: number;
  /** How often unchanged holds are refreshed. @default 3000 */
  refreshMs?: number;
  now?: () => number;
}

export class CapacityPlanner {
  private targets = new Map<string, Target>();
  /** Last command per runner id and version key. */
  private readonly sent = new Map<string, Map<string, Sent>>();
  private readonly nextWarm = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private unsubscribe: Unsubscribe | undefined;
  private running: Promise<void> | undefined;
  /** Commands on their way: a round does not wait for instances to start. */
  private readonly pending = new Set<Promise<unknown>>();
  private reloadNeeded = true;
  private stopped = false;
  private readonly now: () => number;
  private readonly holdMs: number;
  private readonly refreshMs: number;

  constructor(private readonly opts: CapacityPlannerOptions) {
    this.now = opts.now ?? Date.now;
    this.holdMs = opts.holdMs ?? 10_000;
    this.refreshMs = opts.refreshMs ?? 3_000;
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.opts.state.subscribe(ROUTING_CHANNEL, () => {
      this.reloadNeeded = true;
      this.tickSoon();
    });
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs ?? 1000);
    this.timer.unref();
    this.tickSoon();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.soon);
    await this.unsubscribe?.();
    await this.running;
    // Provisioning commands still in flight are not waited for: on the embedded runner one only
    // settles once its instances have started, which can take a whole init timeout, and the
    // runner's own close (after this) kills those starts anyway. Their outcome is only logged.
  }

  /** Re-plan shortly (the fleet changed, or a setting did). */
  tickSoon(): void {
    if (this.soon !== undefined || this.stopped) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.tick();
    }, 50);
    this.soon.unref();
  }

  /** One planning round; rounds never overlap. Resolves when done. */
  tick(): Promise<void> {
    this.running ??= this.round()
      .catch((e) => this.opts.log.warn({ err: e }, "capacity planning failed"))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    const token = this.opts.lease.token;
    if (token === undefined || this.stopped) {
      this.sent.clear(); // a new term starts from what the runners report
      return;
    }
    if (this.reloadNeeded) {
      // Taken down first: a change announced while loading triggers another reload.
      this.reloadNeeded = false;
      await this.reload().catch((e) => {
        this.reloadNeeded = true;
        throw e;
      });
    }
    const now = this.now();
    const wanted = new Set<string>(); // runnerId|key pairs this round keeps
    for (const t of this.targets.values()) {
      if (t.version === undefined) continue;
      const spec = this.opts.routing.spec(t.name, t.version);
      if (spec === undefined) continue;
      const min = Math.max(t.provisioned, scheduledMinimum(t.schedules, new Date(now)));
      if (min > 0) this.place(spec, min, token, now, wanted);
      if (t.keepWarm) this.keepWarm(t, spec, token, now);
    }
    this.dropUnwanted(wanted, token);
  }

  private async reload(): Promise<void> {
    const fns = await this.opts.repos.functions.list();
    const next = new Map<string, Target>();
    for (const fn of fns) {
      const c = capacityOf(fn);
      if (c.provisionedConcurrency === 0 && c.scheduledScaling.length === 0 && c.keepWarm === null) continue;
      next.set(fn.name, {
        name: fn.name,
        version: await this.targetVersion(fn),
        provisioned: c.provisionedConcurrency,
        schedules: c.scheduledScaling,
        keepWarm: c.keepWarm,
      });
    }
    for (const name of this.nextWarm.keys()) if (!next.get(name)?.keepWarm) this.nextWarm.delete(name);
    this.targets = next;
  }

  private async targetVersion(fn: FunctionRecord): Promise<number | undefined> {
    const live = await this.opts.repos.aliases.get(fn.name, "live");
    if (live) return live.version;
    return fn.latestVersion > 0 ? fn.latestVersion : undefined;
  }

  /** Spread `count` held instances of `spec` evenly over the ready runners. */
  private place(spec: FunctionSpec, count: number, token: number, now: number, wanted: Set<string>): void {
    const key = specKey(spec);
    const runners = [...this.opts.registry.ready()];
    if (runners.length === 0) return;
    // Runners already holding the most keep their share: as few instances move as possible.
    const held = new Map(runners.map((r) => [r, this.heldOn(r, key, now)]));
    runners.sort((a, b) => held.get(b)! - held.get(a)! || a.id.localeCompare(b.id));
    const quota = shares(count, runners.length);
    runners.forEach((r, i) => {
      // Never ask a runner for more than its whole budget (RUNNER_MAX_INSTANCES), whatever the
      // function's maxInstances says; the runner clamps further to its per-version cap and memory.
      const budget = r.hb.capacity.maxInstances;
      const cap = Math.min(spec.maxInstances ?? budget, budget);
      const target = Math.min(quota[i], cap);
      if (target > 0) wanted.add(`${r.id}|${key}`);
      const last = this.lastSent(r, key);
      const fresh = last !== undefined && last.count === target && now - last.at < this.refreshMs;
      if (!fresh && !(target === 0 && held.get(r) === 0)) this.send(r, spec, target, token, now);
    });
  }

  /** On each cron fire: touch the warm instances, and start the missing ones on the least loaded runners. */
  private keepWarm(t: Target, spec: FunctionSpec, token: number, now: number): void {
    const kw = t.keepWarm!;
    const due = this.nextWarm.get(t.name);
    if (due === undefined) {
      // First sight (or a new leader): fire now, then follow the schedule.
      this.nextWarm.set(t.name, nextKeepWarm(kw, new Date(now))?.getTime() ?? Infinity);
    } else if (now < due) {
      return;
    } else {
      this.nextWarm.set(t.name, nextKeepWarm(kw, new Date(now))?.getTime() ?? Infinity);
    }
    const key = specKey(spec);
    const runners = [...this.opts.registry.ready()];
    if (runners.length === 0) return;
    const have = runners.map((r) => r.hb.versions.find((v) => v.key === key)?.instances ?? 0);
    let missing = Math.max(0, kw.instances - have.reduce((a, b) => a + b, 0));
    const order = runners.map((_, i) => i).sort((a, b) => runners[a].load(key) - runners[b].load(key));
    const counts = [...have];
    for (const i of order) {
      if (missing === 0) break;
      counts[i]++;
      missing--;
    }
    this.opts.log.info({ function: t.name, version: spec.version, instances: kw.instances }, "keep-warm");
    runners.forEach((r, i) => {
      if (counts[i] > 0) this.track(r.client.provision({ spec, count: counts[i], touch: true, leaderToken: token }));
    });
  }

  /** Holds this leader placed that are no longer wanted (setting lowered, version moved on, runner left): drop them. */
  private dropUnwanted(wanted: Set<string>, token: number): void {
    const now = this.now();
    for (const [runnerId, byKey] of this.sent) {
      const r = this.opts.registry.get(runnerId);
      for (const [key, s] of byKey) {
        if (wanted.has(`${runnerId}|${key}`)) continue;
        byKey.delete(key);
        if (r !== undefined && r.hb.bootId === s.bootId && s.count > 0) this.send(r, s.spec, 0, token, now);
      }
      if (byKey.size === 0) this.sent.delete(runnerId);
    }
  }

  private heldOn(r: PlacementTarget, key: string, now: number): number {
    const last = this.lastSent(r, key);
    // Our own recent command is newer than what the last heartbeat could show.
    if (last !== undefined && now - last.at < this.holdMs) return last.count;
    return r.hb.versions.find((v) => v.key === key)?.held ?? 0;
  }

  private lastSent(r: PlacementTarget, key: string): Sent | undefined {
    const s = this.sent.get(r.id)?.get(key);
    return s !== undefined && s.bootId === r.hb.bootId ? s : undefined;
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private send(r: PlacementTarget, spec: FunctionSpec, count: number, token: number, now: number): void {
    const key = specKey(spec);
    let byKey = this.sent.get(r.id);
    if (byKey === undefined) this.sent.set(r.id, (byKey = new Map()));
    const entry: Sent = { count, at: now, bootId: r.hb.bootId, spec };
    byKey.set(key, entry);
    const req = { spec, count, holdMs: count > 0 ? this.holdMs : 0, touch: false, leaderToken: token };
    this.track(
      r.client.provision(req).then((res) => {
        if (!res.ok || !res.value.applied) {
          if (byKey.get(key) === entry) byKey.delete(key); // try again next round
          if (!res.ok) this.opts.log.warn({ runner: r.id, key, count, err: res.error }, "provisioning command failed");
        } else if (count > 0 && res.value.live < count) {
          this.opts.log.warn({ runner: r.id, key, count, live: res.value.live }, "runner could not start every provisioned instance");
        }
      }),
    );
  }
}
