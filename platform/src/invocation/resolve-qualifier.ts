/**
 * Stage 6, resolve the qualifier: a version number, an alias (with its weights or A/B rule, which
 * may read the request's headers, cookies and query) or $LATEST, to the version that will run,
 * from the in-memory routing table. A dry run stops here.
 */
import type { RoutingTable } from "../router/routing-table.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";

const DRY_RUN = Promise.resolve(undefined);

export class ResolveQualifierStage implements InvocationHandler {
  constructor(
    private readonly next: InvocationHandler,
    private readonly routing: Pick<RoutingTable, "resolve">,
  ) {}

  handle(inv: Invocation) {
    const target = this.routing.resolve(inv.name, inv.qualifier, inv.route);
    inv.spec = target.spec;
    // Lambda's invokedFunctionArn ends with what was invoked: the alias (also the default `live`), else the qualifier given.
    inv.invokedQualifier = target.alias ?? inv.qualifier;
    return inv.dryRun ? DRY_RUN : this.next.handle(inv);
  }
}
