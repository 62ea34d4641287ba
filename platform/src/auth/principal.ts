/**
 * Who is making a request: the one `Principal` every authenticator produces (API key, SigV4, JWT
 * next) and every authorization decision reads. Roles and function scopes are here so the identity
 * work can fill them in without changing a call site. Keys carry their stored role, function
 * scope and approve flag; JWTs their roles claim (jwt-authenticator.ts).
 */
import type { RateLimit } from "../../../protocol/api/rate-limit.ts";
import type { ResolvedKey } from "./key-store.ts";

/** A role a principal holds; `permissions.ts` maps each to its permission set. */
export type Role = "admin" | "deployer" | "invoker" | "viewer";

/** Every role, in order of decreasing power. */
export const ROLES: readonly Role[] = ["admin", "deployer", "invoker", "viewer"];

/** How the principal proved who it is; `internal` is the platform itself (deployment hooks, triggers). */
export type AuthMethod = "bearer" | "sigv4" | "jwt" | "internal";

export interface Principal {
  /** Stable identity for audit trails and logs, e.g. `key:abcd1234`. */
  subject: string;
  /** The API key behind the request, when it was one (Bearer or SigV4). */
  keyId?: string;
  method: AuthMethod;
  roles: Role[];
  /** Function-name patterns (`orders-*`) this principal may touch; absent means every function. */
  functions?: string[];
  /** May approve deployments to protected aliases (a key's can_approve, a JWT's `approver` role). */
  canApprove?: boolean;
  /** Its own request rate limit (the key's `rateLimit`); absent: the server default applies. */
  rateLimit?: RateLimit;
}

/** The principal for a verified API key. An unknown stored role grants nothing (fail closed). */
export function keyPrincipal(key: KeyIdentity, method: AuthMethod): Principal {
  const p: Principal = { subject: `key:${key.id}`, keyId: key.id, method, roles: Object.freeze(isRole(key.role) ? [key.role] : []) as Role[] };
  if (key.functions) p.functions = Object.freeze([...key.functions]) as string[];
  if (key.canApprove) p.canApprove = true;
  if (key.rateLimit) p.rateLimit = key.rateLimit;
  return Object.freeze(p);
}

/** What a principal is built from: the resolved key's identity fields. */
type KeyIdentity = Pick<ResolvedKey, "id" | "role"> & Partial<Pick<ResolvedKey, "functions" | "canApprove" | "rateLimit">>;

const bearerPrincipals = new WeakMap<object, Principal>();

/**
 * keyPrincipal for Bearer, built once per cached key record rather than per request (the invoke
 * hot path): principals are frozen, so one can be shared by every request with that key.
 */
export function bearerKeyPrincipal(key: KeyIdentity): Principal {
  let p = bearerPrincipals.get(key);
  if (p === undefined) bearerPrincipals.set(key, (p = keyPrincipal(key, "bearer")));
  return p;
}

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

/**
 * The platform acting on its own behalf (deployment hooks, smoke invokes; triggers and the async
 * queue next): it enters the invocation pipeline already authenticated.
 */
export const SYSTEM_PRINCIPAL: Principal = Object.freeze({ subject: "system", method: "internal", roles: Object.freeze(["admin"]) as Role[] });
