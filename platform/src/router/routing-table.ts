/**
 * The in-memory routing table: functions, their versions (as runnable specs) and aliases with
 * weights. The invoke path resolves qualifiers here with no database read. A change made by any
 * control-plane replica is broadcast on the state store's pub/sub and every replica reloads that
 * function; a periodic check of the catalog's digests repairs anything a lost message left stale.
 * A name or qualifier this replica does not know yet (a change made on another replica a moment
 * ago, its message still on the way) is read from the database once before it is answered as not
 * found (`reloadOnMiss`, at most once a second per name), so a client that writes through one
 * replica and invokes through another reads its own write.
 * An alias under an ABTesting deployment carries an A/B rule: the request's key (a header, cookie
 * or query value) is hashed into [0, 1) and compared to the variant's weight, so each key sticks
 * to one version.
 */
import { ApiError } from "../../../protocol/errors.ts";
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import type { RuntimeId, RuntimeProtocol } from "../../../protocol/runtimes.ts";
import type { StateStore, Unsubscribe } from "../../../shared/state/state-store.ts";
import type { Repositories, FunctionRecord, Version as VersionRecord, Alias as AliasRecord } from "../db/index.ts";
import type { AbTestRule } from "../db/schema.ts";
import { specCapacityFields } from "../fleet/capacity-settings.ts";
import type { SecretBox } from "../auth/secret-box.ts";
import { openSecrets } from "../functions/function-secrets.ts";

export const ROUTING_CHANNEL = "hotswap:routing";

/** A name missed by resolve() is read from the database at most this often (ms). */
const MISS_RELOAD_MS = 1000;
/** Names remembered for that throttle, at most (then it starts over). */
const MISS_NAMES_MAX = 10_000;

/** The errors of resolve() that a reload from the database may turn into a route. */
export function isRoutingMiss(e: unknown): boolean {
  return e instanceof ApiError && (e.code === "FunctionNotFound" || e.code === "VersionNotFound" || e.code === "AliasNotFound");
}

/** A periodic refresh that finds more stale functions than this reads everything in bulk instead. */
const BULK_RELOAD_OVER = 64;

interface AliasRoute {
  version: number;
  /** Extra versions with cumulative weight thresholds, e.g. [[3, 0.1], [4, 0.3]]. */
  extra: Array<[version: number, upTo: number]>;
  ab?: AbTestRule;
}

/** The parts of an invoke request an A/B rule can split on. Read only when the alias has a rule. */
export interface RouteRequest {
  header(name: string): string | undefined;
  cookie(name: string): string | undefined;
  query(name: string): string | undefined;
}

/**
 * FNV-1a of `salt:key` with murmur3's finaliser (so keys that differ in one character land far
 * apart), scaled into [0, 1): stable across replicas and restarts.
 */
export function stickyPoint(salt: string, key: string): number {
  let h = 0x811c9dc5;
  const s = `${salt}:${key}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/** The version an A/B rule sends this request to; the primary when the request lacks the key. */
export function pickAbVersion(primary: number, rule: AbTestRule, req: RouteRequest | undefined): number {
  const k = rule.key;
  const value = req && ("header" in k ? req.header(k.header) : "cookie" in k ? req.cookie(k.cookie) : req.query(k.query));
  if (!value) return primary;
  return stickyPoint(rule.salt, value) < rule.variantWeight ? rule.variantVersion : primary;
}

interface FunctionRoute {
  fn: FunctionRecord;
  versions: Map<number, FunctionSpec>;
  latest: number | undefined;
  aliases: Map<string, AliasRoute>;
  /** Versions whose secrets this replica cannot open (a key missing from its ring), with why. */
  sealedOff?: Map<number, string>;
}

export interface ResolvedTarget {
  spec: FunctionSpec;
  /** The alias that was resolved, if any. */
  alias?: string;
}

/**
 * The runner's spec of a version. Its secrets are opened here and join its environment: the spec
 * goes to a runner (in-process, or over the fleet protocol to a `hotswap runner`, which is trusted)
 * and never into an answer or a log line.
 */
export function buildSpec(fn: FunctionRecord, v: VersionRecord, box?: SecretBox): FunctionSpec {
  const secrets = openSecrets(box, fn.name, v.secrets ?? {});
  return {
    functionName: fn.name,
    version: v.version,
    runtime: v.runtime as RuntimeId,
    handler: v.handler,
    memorySize: v.memorySize,
    timeout: v.timeout,
    environment: Object.keys(secrets).length > 0 ? { ...v.environment, ...secrets } : v.environment,
    codeSha256: v.codeSha256,
    protocol: v.protocol as RuntimeProtocol,
    instanceConcurrency: v.instanceConcurrency,
    ...(v.layers?.length ? { layers: v.layers } : {}),
    ...(fn.maxInstances ? { maxInstances: fn.maxInstances } : {}),
    // Function-level capacity settings (idle timeout, reserved concurrency) that every version follows.
    ...specCapacityFields(fn),
    // The function's invocation rate limit, so the rate-limit stage reads it from the table, not the database.
    ...(fn.rateLimit ? { rateLimit: fn.rateLimit } : {}),
  };
}

function buildAlias(a: AliasRecord): AliasRoute {
  let acc = 0;
  const extra: Array<[number, number]> = [];
  for (const [v, w] of Object.entries(a.routingConfig?.additionalVersionWeights ?? {})) {
    if (w <= 0) continue;
    acc += w;
    extra.push([Number(v), acc]);
  }
  const ab = a.routingConfig?.abTest;
  return ab ? { version: a.version, extra, ab } : { version: a.version, extra };
}

/** Pick a version for an alias: each extra version gets its weight, the primary gets the rest. */
export function pickAliasVersion(route: AliasRoute, r: number = Math.random()): number {
  for (const [v, upTo] of route.extra) if (r < upTo) return v;
  return route.version;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** A version whose secrets cannot be opened answers why, not "not found". */
function assertNotSealedOff(route: FunctionRoute, version: number): void {
  const why = route.sealedOff?.get(version);
  if (why !== undefined) throw new ApiError("ServiceUnavailable", `Version ${version} of function "${route.fn.name}" cannot run on this control plane: ${why}`);
}

export class RoutingTable {
  private readonly routes = new Map<string, FunctionRoute>();
  private readonly generation = new Map<string, number>();
  /** The newest reload of each function, which the reloads it overtook wait for. */
  private readonly loading = new Map<string, Promise<void>>();
  /** When each name was last reloaded because resolve() missed it. */
  private readonly missReloads = new Map<string, number>();
  private unsubscribe?: Unsubscribe;
  private refreshTimer?: NodeJS.Timeout;
  /** The catalog's digest as of the last read or check of everything (undefined before the first). */
  private catalogDigest: string | undefined;
  /** Each function's digest as of a read of everything; this replica's route is at least that new. */
  private readonly digests = new Map<string, string>();

  constructor(
    private readonly repos: Repositories,
    private readonly state: StateStore,
    /** `secrets`: the server's keyring, which opens the versions' secrets into their specs. */
    private readonly opts: { refreshIntervalMs?: number; onError?: (e: unknown) => void; secrets?: SecretBox } = {},
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.state.subscribe(ROUTING_CHANNEL, (name) => {
      this.reload(name).catch((e) => this.opts.onError?.(e));
    });
    await this.refreshAll();
    const every = this.opts.refreshIntervalMs ?? 30_000;
    this.refreshTimer = setInterval(() => this.refresh().catch((e) => this.opts.onError?.(e)), every);
    this.refreshTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await this.unsubscribe?.();
  }

  /**
   * The periodic repair of what a lost change message left stale. One small query asks whether the
   * catalog changed since it was last read; only when it did are the functions' digests compared,
   * and the functions that differ, appeared or disappeared reloaded (everything in bulk when many
   * did). With nothing changed it costs one aggregate over the catalog, however many functions.
   */
  async refresh(): Promise<void> {
    const catalog = await this.repos.catalogDigests.catalog();
    if (catalog === this.catalogDigest) return;
    const now = await this.repos.catalogDigests.perFunction();
    const stale: string[] = [];
    for (const [name, digest] of now) if (this.digests.get(name) !== digest || !this.routes.has(name)) stale.push(name);
    for (const name of this.routes.keys()) if (!now.has(name)) stale.push(name);
    if (stale.length > BULK_RELOAD_OVER) await this.reloadAll();
    else await Promise.all(stale.map((name) => this.reload(name)));
    this.keepDigests(now);
    this.catalogDigest = catalog;
  }

  /** Read everything (at start, and by refresh when much changed), with the digests it is as new as. */
  async refreshAll(): Promise<void> {
    const catalog = await this.repos.catalogDigests.catalog();
    const digests = await this.repos.catalogDigests.perFunction();
    await this.reloadAll();
    this.keepDigests(digests);
    this.catalogDigest = catalog;
  }

  private keepDigests(now: Map<string, string>): void {
    for (const name of this.digests.keys()) if (!now.has(name)) this.digests.delete(name);
    for (const [name, digest] of now) this.digests.set(name, digest);
  }

  /**
   * Reload every function in three queries (functions, versions, aliases), not three per function:
   * with ten thousand functions that is one bulk read instead of thirty thousand round trips.
   * It takes part in the per-function generations like a reload: a reload that starts while it
   * reads wins for its function, and a reload it overtakes waits for it.
   */
  private reloadAll(): Promise<void> {
    const gens = new Map<string, number>();
    for (const name of this.generation.keys()) gens.set(name, this.bump(name));
    const p: Promise<void> = this.loadAll(gens).finally(() => {
      for (const name of gens.keys()) if (this.loading.get(name) === p) this.loading.delete(name);
    });
    for (const name of gens.keys()) this.loading.set(name, p);
    return p;
  }

  private async loadAll(gens: Map<string, number>): Promise<void> {
    const [fns, versions, aliases] = await Promise.all([this.repos.functions.list(), this.repos.versions.listAll(), this.repos.aliases.listAll()]);
    const versionsOf = groupBy(versions, (v) => v.functionName);
    const aliasesOf = groupBy(aliases, (a) => a.functionName);
    const newer: Promise<void>[] = [];
    const present = new Set<string>();
    for (const fn of fns) {
      present.add(fn.name);
      const gen = gens.get(fn.name);
      // A reload registered since this refresh began (or, for a function new to this replica, at all) read later: it applies.
      if (gen === undefined ? this.generation.has(fn.name) : this.generation.get(fn.name) !== gen) {
        const later = this.loading.get(fn.name);
        if (later) newer.push(later);
        continue;
      }
      if (gen === undefined) this.bump(fn.name);
      this.apply(fn, versionsOf.get(fn.name) ?? [], aliasesOf.get(fn.name) ?? []);
    }
    for (const [name, gen] of gens) if (!present.has(name) && this.generation.get(name) === gen) this.routes.delete(name);
    await Promise.all(newer);
  }

  /**
   * Reload one function from the database. Out-of-order completions never overwrite newer data,
   * and a reload that a newer one overtook resolves only once that one has applied: whenever it
   * resolves, the table holds what the database said after it was called, so an alias write
   * returns only once this replica routes by it.
   */
  reload(name: string): Promise<void> {
    const gen = this.bump(name);
    const p: Promise<void> = this.load(name, gen).finally(() => {
      if (this.loading.get(name) === p) this.loading.delete(name);
    });
    this.loading.set(name, p);
    return p;
  }

  /** Register a new read of `name`: its generation, which a later read overtakes. */
  private bump(name: string): number {
    const gen = (this.generation.get(name) ?? 0) + 1;
    this.generation.set(name, gen);
    return gen;
  }

  private async load(name: string, gen: number): Promise<void> {
    const fn = await this.repos.functions.get(name);
    const [versions, aliases] = fn ? await Promise.all([this.repos.versions.list(name), this.repos.aliases.list(name)]) : [[], []];
    // Overtaken: the newer reload (already registered) read later and applies; wait for it.
    if (this.generation.get(name) !== gen) return this.loading.get(name);
    if (!fn) {
      this.routes.delete(name);
      return;
    }
    this.apply(fn, versions, aliases);
  }

  /** Build a function's route from what the database said. */
  private apply(fn: FunctionRecord, versions: VersionRecord[], aliases: AliasRecord[]): void {
    const name = fn.name;
    const specs = new Map<number, FunctionSpec>();
    const sealedOff = new Map<number, string>();
    let latest: number | undefined;
    for (const v of versions) {
      if (latest === undefined || v.version > latest) latest = v.version;
      try {
        specs.set(v.version, buildSpec(fn, v, this.opts.secrets));
      } catch (e) {
        // Its secrets cannot be opened (a key missing from the ring): that version cannot run, the others can.
        sealedOff.set(v.version, (e as Error).message);
        this.opts.onError?.(new Error(`function "${name}" version ${v.version} cannot run: ${(e as Error).message}`));
      }
    }
    this.routes.set(name, { fn, versions: specs, latest, aliases: new Map(aliases.map((a) => [a.name, buildAlias(a)])), ...(sealedOff.size > 0 ? { sealedOff } : {}) });
  }

  /** Apply a change locally at once, then tell every other replica. */
  async invalidate(name: string): Promise<void> {
    await this.reload(name);
    await this.state.publish(ROUTING_CHANNEL, name);
  }

  /**
   * After resolve() missed `name` (see isRoutingMiss): read it from the database, unless that was
   * done for this name less than a second ago. Resolves whether it read (true: resolve again).
   */
  async reloadOnMiss(name: string): Promise<boolean> {
    const now = Date.now();
    const last = this.missReloads.get(name);
    if (last !== undefined && now - last < MISS_RELOAD_MS) {
      // Read a moment ago: a read still under way is waited for, a finished one is not repeated.
      const pending = this.loading.get(name);
      if (!pending) return false;
      await pending;
      return true;
    }
    if (this.missReloads.size >= MISS_NAMES_MAX) this.missReloads.clear();
    this.missReloads.set(name, now);
    await (this.loading.get(name) ?? this.reload(name));
    return true;
  }

  /** The functions this replica has loaded (every function, once start() has run). */
  functionNames(): IterableIterator<string> {
    return this.routes.keys();
  }

  has(name: string): boolean {
    return this.routes.has(name);
  }

  /**
   * Resolve a qualifier: a version number, an alias, or $LATEST. Unqualified means alias
   * `live` when it exists, else $LATEST.
   */
  resolve(name: string, qualifier?: string, req?: RouteRequest): ResolvedTarget {
    const route = this.routes.get(name);
    if (!route) {
      throw new ApiError("FunctionNotFound", `Function "${name}" does not exist. Create it with POST /api/v1/functions.`);
    }
    if (!qualifier) {
      if (route.aliases.has("live")) return this.viaAlias(route, "live", req);
      return this.latest(route);
    }
    if (qualifier === "$LATEST") return this.latest(route);
    if (/^[0-9]+$/.test(qualifier)) {
      const spec = route.versions.get(Number(qualifier));
      if (!spec) {
        assertNotSealedOff(route, Number(qualifier));
        throw new ApiError("VersionNotFound", `Function "${name}" has no version ${qualifier}. List versions with GET /api/v1/functions/${name}/versions.`);
      }
      return { spec };
    }
    if (!route.aliases.has(qualifier)) {
      throw new ApiError("AliasNotFound", `Function "${name}" has no alias "${qualifier}". Use a version number, an alias, or $LATEST.`);
    }
    return this.viaAlias(route, qualifier, req);
  }

  private latest(route: FunctionRoute): ResolvedTarget {
    if (route.latest === undefined) {
      const n = route.fn.name;
      throw new ApiError("VersionNotFound", `Function "${n}" has no published version yet. Publish one with POST /api/v1/functions/${n}/versions.`);
    }
    assertNotSealedOff(route, route.latest);
    return { spec: route.versions.get(route.latest)! };
  }

  /** The spec of one version, if this replica has it loaded. */
  spec(name: string, version: number): FunctionSpec | undefined {
    return this.routes.get(name)?.versions.get(version);
  }

  private viaAlias(route: FunctionRoute, alias: string, req?: RouteRequest): ResolvedTarget {
    const a = route.aliases.get(alias)!;
    const version = a.ab ? pickAbVersion(a.version, a.ab, req) : pickAliasVersion(a);
    const spec = route.versions.get(version);
    if (!spec) {
      assertNotSealedOff(route, version);
      // The alias points at a version this replica has not loaded yet; a reload is on its way.
      throw new ApiError("ServiceUnavailable", `Alias "${alias}" points at version ${version}, which is still being loaded. Retry.`);
    }
    return { spec, alias };
  }
}
