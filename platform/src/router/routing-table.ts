/**
 * The in-memory routing table: functions, their versions (as runnable specs) and aliases with
 * weights. The invoke path resolves qualifiers here with no database read. A change made by any
 * control-plane replica is broadcast on the state store's pub/sub and every replica reloads that
 * function; a slow periodic full refresh repairs anything a lost message left stale.
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
  private unsubscribe?: Unsubscribe;
  private refreshTimer?: NodeJS.Timeout;

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
    this.refreshTimer = setInterval(() => this.refreshAll().catch((e) => this.opts.onError?.(e)), every);
    this.refreshTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await this.unsubscribe?.();
  }

  async refreshAll(): Promise<void> {
    const fns = await this.repos.functions.list();
    const seen = new Set(fns.map((f) => f.name));
    for (const name of this.routes.keys()) if (!seen.has(name)) this.routes.delete(name);
    await Promise.all(fns.map((f) => this.reload(f.name)));
  }

  /**
   * Reload one function from the database. Out-of-order completions never overwrite newer data,
   * and a reload that a newer one overtook resolves only once that one has applied: whenever it
   * resolves, the table holds what the database said after it was called, so an alias write
   * returns only once this replica routes by it.
   */
  reload(name: string): Promise<void> {
    const gen = (this.generation.get(name) ?? 0) + 1;
    this.generation.set(name, gen);
    const p: Promise<void> = this.load(name, gen).finally(() => {
      if (this.loading.get(name) === p) this.loading.delete(name);
    });
    this.loading.set(name, p);
    return p;
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
