/**
 * Stage 3, authorize: invoking needs `functions:invoke` on the function (the permission both invoke
 * routes declare in auth/permissions.ts; a role's grant and the principal's function scope decide).
 */
import { authorize } from "../auth/permissions.ts";
import type { Invocation, InvocationHandler } from "./invocation.ts";

export class AuthorizeStage implements InvocationHandler {
  constructor(private readonly next: InvocationHandler) {}

  handle(inv: Invocation) {
    authorize(inv.principal!, "functions:invoke", inv.name);
    inv.authorized = true;
    return this.next.handle(inv);
  }
}
