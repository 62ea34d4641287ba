/**
 * Stage 2, authenticate: the ordered authenticators decide who is calling. An entry that already
 * knows (the platform's own hooks, a trigger) comes with its principal and passes. When every
 * authenticator answers from its cache, the chain goes on in the same turn (no await).
 */
import { ApiError } from "../../../protocol/errors.ts";
import { authenticateNow, type Authenticator } from "../auth/authentication.ts";
import type { Principal } from "../auth/principal.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";

export class AuthenticateStage implements InvocationHandler {
  constructor(
    private readonly next: InvocationHandler,
    private readonly authenticators: readonly Authenticator[],
  ) {}

  handle(inv: Invocation) {
    if (inv.principal) return this.next.handle(inv);
    if (!inv.credentials) throw new ApiError("Unauthorized", "The invocation carries neither credentials nor a principal.");
    const answer = authenticateNow(this.authenticators, inv.credentials);
    if (answer instanceof Promise) return answer.then((p) => this.continue(inv, p));
    return this.continue(inv, answer);
  }

  private continue(inv: Invocation, principal: Principal) {
    inv.principal = principal;
    return this.next.handle(inv);
  }
}
