/**
 * The HTTP gateway's routing table, in memory on every control-plane replica: the enabled Http
 * triggers as an HttpRouteSet. A request never reads the database. A trigger change made by any
 * replica is broadcast on the state store's pub/sub (TRIGGERS_CHANNEL) and every replica reloads
 * the set; a function deleted with its triggers is noticed from the routing channel; a slow
 * periodic refresh repairs anything a lost message left stale. Like router/routing-table.ts.
 */
import { HttpTriggerConfig } from "../../../protocol/api/triggers.ts";
import type { StateStore, Unsubscribe } from "../../../shared/state/state-store.ts";
import type { Principal } from "../auth/principal.ts";
import type { Repositories } from "../db/index.ts";
import { ROUTING_CHANNEL } from "../router/routing-table.ts";
import { HttpRouteSet, type RouteMatch } from "./http-routes.ts";

export const TRIGGERS_CHANNEL = "hotswap:triggers";

/** The principal a public (`auth: "none"`) route invokes as: the platform, named after the trigger for logs and audits. */
export function triggerPrincipal(triggerId: string): Principal {
  return Object.freeze({ subject: `trigger:${triggerId}`, method: "internal", roles: Object.freeze(["admin"]) as Principal["roles"] });
}

export class HttpRouteTable {
  private routes = new HttpRouteSet();
  private generation = 0;
  private loading: Promise<void> | undefined;
  private unsubscribe: Unsubscribe[] = [];
  private refreshTimer?: NodeJS.Timeout;

  constructor(
    private readonly repos: Pick<Repositories, "triggers">,
    private readonly state: StateStore,
    private readonly opts: { refreshIntervalMs?: number; onError?: (e: unknown) => void } = {},
  ) {}

  async start(): Promise<void> {
    const reload = () => void this.reload().catch((e) => this.opts.onError?.(e));
    this.unsubscribe.push(await this.state.subscribe(TRIGGERS_CHANNEL, (type) => type === "Http" && reload()));
    // A deleted function takes its triggers along: a routing message for a function with routes reloads.
    this.unsubscribe.push(await this.state.subscribe(ROUTING_CHANNEL, (name) => this.routes.functions.has(name) && reload()));
    await this.reload();
    this.refreshTimer = setInterval(reload, this.opts.refreshIntervalMs ?? 30_000);
    this.refreshTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    for (const u of this.unsubscribe.splice(0)) await u();
  }

  /** Match a request against the routes this replica knows. */
  match(method: string, rawPath: string): RouteMatch {
    return this.routes.match(method, rawPath);
  }

  /** How many method+path routes are served. */
  get size(): number {
    return this.routes.size;
  }

  /**
   * Reload every enabled Http trigger. A reload overtaken by a newer one waits for it, so when
   * this resolves the table holds what the database said after it was called.
   */
  reload(): Promise<void> {
    const gen = ++this.generation;
    const p = this.load(gen);
    this.loading = p;
    return p;
  }

  private async load(gen: number): Promise<void> {
    const triggers = await this.repos.triggers.list({ type: "Http" });
    if (gen !== this.generation) return this.loading;
    const set = new HttpRouteSet();
    for (const t of triggers) {
      if (!t.enabled) continue;
      const config = HttpTriggerConfig.safeParse(t.config);
      if (!config.success) {
        this.opts.onError?.(new Error(`Http trigger ${t.id} has an invalid stored config; it is not served: ${config.error.message}`));
        continue;
      }
      set.add({ triggerId: t.id, functionName: t.functionName, qualifier: t.qualifier, config: config.data, principal: triggerPrincipal(t.id) });
    }
    this.routes = set;
  }

  /**
   * Apply a change locally at once, then tell every other replica. The message is the changed
   * trigger's type, so other listeners of the channel (the scheduler) can tell what to reload.
   */
  async invalidate(type: string): Promise<void> {
    if (type === "Http") await this.reload();
    await this.state.publish(TRIGGERS_CHANNEL, type);
  }
}
