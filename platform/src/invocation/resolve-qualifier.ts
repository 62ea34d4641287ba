/**
 * Stage 6, resolve the qualifier: a version number, an alias (with its weights or A/B rule, which
 * may read the request's headers, cookies and query) or $LATEST, to the version that will run,
 * from the in-memory routing table. A miss (unknown function, version or alias: perhaps created on
 * another replica a moment ago) is retried once after the table reads that function from the
 * database. A dry run stops here.
 */
import { isRoutingMiss, type RoutingTable } from "../router/routing-table.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";

const DRY_RUN = Promise.resolve(undefined);

export class ResolveQualifierStage implements InvocationHandler {
  constructor(
    private readonly next: InvocationHandler,
    private readonly routing: Pick<RoutingTable, "resolve"> & Partial<Pick<RoutingTable, "reloadOnMiss">>,
  ) {}

  handle(inv: Invocation) {
    let target: ReturnType<RoutingTable["resolve"]>;
    try {
      target = this.routing.resolve(inv.name, inv.qualifier, inv.route);
    } catch (e) {
      if (!isRoutingMiss(e) || !this.routing.reloadOnMiss) throw e;
      return this.afterReload(inv, e);
    }
    return this.resolved(inv, target);
  }

  private async afterReload(inv: Invocation, miss: unknown) {
    if (!(await this.routing.reloadOnMiss!(inv.name))) throw miss;
    return this.resolved(inv, this.routing.resolve(inv.name, inv.qualifier, inv.route));
  }

  private resolved(inv: Invocation, target: ReturnType<RoutingTable["resolve"]>) {
    inv.spec = target.spec;
    // Lambda's invokedFunctionArn ends with what was invoked: the alias (also the default `live`), else the qualifier given.
    inv.invokedQualifier = target.alias ?? inv.qualifier;
    return inv.dryRun ? DRY_RUN : this.next.handle(inv);
  }
}
