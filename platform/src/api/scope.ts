/**
 * Function scopes in handlers, for the routes that name their function outside the path (a
 * trigger, a deployment, a body field) or list many: the Hono middleware checks `{name}` paths,
 * these check the rest against the same `authorize`, so a scoped key or token gets the same 403.
 */
import type { Context } from "hono";
import { authorize, visibleFunctions, type Permission } from "../auth/permissions.ts";
import type { AppEnv } from "./context.ts";

/** Throws 403 unless the caller's scope covers `fn` (a no-op for unscoped principals). */
export function requireFunctionScope(c: Context<AppEnv>, permission: Permission, fn: string): void {
  const principal = c.get("principal");
  if (principal?.functions !== undefined) authorize(principal, permission, fn);
}

/** True when the caller is limited to some functions (a check that needs a lookup can be skipped otherwise). */
export function isScoped(c: Context<AppEnv>): boolean {
  return c.get("principal")?.functions !== undefined;
}

/** The items of functions inside the caller's scope: lists hide the rest. */
export function inScope<T>(c: Context<AppEnv>, items: T[], nameOf: (item: T) => string): T[] {
  return visibleFunctions(c.get("principal"), items, nameOf);
}
