/**
 * Who is making a request: the one `Principal` every authenticator produces (API key, SigV4, JWT
 * next) and every authorization decision reads. Roles and function scopes are here so the identity
 * work can fill them in without changing a call site; today every key is `admin` with no scope.
 */
import type { RateLimit } from "../../../protocol/api/rate-limit.ts";
import type { ResolvedKey } from "./key-store.ts";

/** A role a principal holds; `permissions.ts` maps each to its permission set. */
export type Role = "admin" | "deployer" | "viewer";

/** How the principal proved who it is; `internal` is the platform itself (deployment hooks, triggers). */
export type AuthMethod = "bearer" | "sigv4" | "jwt" | "internal";

export interface Principal {
  /** Stable identity for audit trails and logs, e.g. `key:abcd1234`. */
  subject: string;
  /** The API key behind the request, when it was one (Bearer or SigV4). */
  keyId?: string;
  method: AuthMethod;
  roles: Role[];
  /** Functions this principal may touch; absent means every function. */
  functions?: string[];
  /** May approve deployments to protected aliases when its role may write deployments (admins may anyway). */
  canApprove?: boolean;
  /** Its own request rate limit (the key's `rateLimit`); absent: the server default applies. */
  rateLimit?: RateLimit;
}

/** The principal for a verified API key. An unknown stored role grants nothing (fail closed). */
export function keyPrincipal(key: Pick<ResolvedKey, "id" | "role" | "canApprove" | "rateLimit">, method: AuthMethod): Principal {
  return Object.freeze({
    subject: `key:${key.id}`,
    keyId: key.id,
    method,
    roles: Object.freeze(isRole(key.role) ? [key.role] : []) as Role[],
    ...(key.canApprove ? { canApprove: true } : {}),
    ...(key.rateLimit ? { rateLimit: key.rateLimit } : {}),
  });
}

const bearerPrincipals = new WeakMap<object, Principal>();

/**
 * keyPrincipal for Bearer, built once per cached key record rather than per request (the invoke
 * hot path): principals are frozen, so one can be shared by every request with that key.
 */
export function bearerKeyPrincipal(key: Pick<ResolvedKey, "id" | "role" | "canApprove">): Principal {
  let p = bearerPrincipals.get(key);
  if (p === undefined) bearerPrincipals.set(key, (p = keyPrincipal(key, "bearer")));
  return p;
}

function isRole(s: string): s is Role {
  return s === "admin" || s === "deployer" || s === "viewer";
}

/**
 * The platform acting on its own behalf (deployment hooks, smoke invokes; triggers and the async
 * queue next): it enters the invocation pipeline already authenticated.
 */
export const SYSTEM_PRINCIPAL: Principal = Object.freeze({ subject: "system", method: "internal", roles: Object.freeze(["admin"]) as Role[] });
