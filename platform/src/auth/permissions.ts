/**
 * Authorization: every route declares the one permission it needs, here and nowhere else, and
 * every role maps to a set of permissions. The Hono app enforces it for every route
 * (`authorizeRoutes`), the front door for the invoke and Lambda paths. A route missing from the
 * table is refused at run time, and a test walks /openapi.json so one cannot be added unnoticed.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { inFunctionScope } from "./function-scope.ts";
import type { Principal, Role } from "./principal.ts";

export const PERMISSIONS = [
  "functions:read",
  "functions:write",
  "functions:invoke",
  "versions:read",
  "versions:write",
  "aliases:read",
  "aliases:write",
  "deployments:read",
  "deployments:write",
  "runners:read",
  "system:read",
  "usage:read",
  "triggers:read",
  "triggers:write",
  "logs:read",
  "metrics:read",
  "invocations:read",
  "audit:read",
  "secrets:write",
  // Approve or reject deployments to protected aliases, and change an alias's protection (see grantsApprove).
  "deployments:approve",
  "keys:read",
  "keys:write",
  // GET /api/v1/whoami: every role holds it, so any authenticated principal can read who it is.
  "session:read",
  "layers:read",
  "layers:write",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** `METHOD /openapi/path` (OpenAPI's `{param}` form) → the permission it needs. */
export const ROUTE_PERMISSIONS: Readonly<Record<string, Permission>> = {
  "POST /api/v1/functions": "functions:write",
  "GET /api/v1/functions": "functions:read",
  "GET /api/v1/functions/{name}": "functions:read",
  "PUT /api/v1/functions/{name}": "functions:write",
  "DELETE /api/v1/functions/{name}": "functions:write",
  "POST /api/v1/functions/{name}/invoke": "functions:invoke",
  "POST /api/v1/functions/{name}/versions": "versions:write",
  "GET /api/v1/functions/{name}/versions": "versions:read",
  "GET /api/v1/functions/{name}/versions/{version}": "versions:read",
  "GET /api/v1/functions/{name}/aliases": "aliases:read",
  "GET /api/v1/functions/{name}/aliases/{alias}": "aliases:read",
  "PUT /api/v1/functions/{name}/aliases/{alias}": "aliases:write",
  "DELETE /api/v1/functions/{name}/aliases/{alias}": "aliases:write",
  "POST /api/v1/deployments": "deployments:write",
  "GET /api/v1/deployments": "deployments:read",
  "GET /api/v1/deployments/{id}": "deployments:read",
  "GET /api/v1/deployments/{id}/events": "deployments:read",
  "POST /api/v1/deployments/{id}/pause": "deployments:write",
  "POST /api/v1/deployments/{id}/resume": "deployments:write",
  "POST /api/v1/deployments/{id}/promote": "deployments:write",
  "POST /api/v1/deployments/{id}/rollback": "deployments:write",
  "POST /api/v1/deployments/{id}/approve": "deployments:approve",
  "POST /api/v1/deployments/{id}/reject": "deployments:approve",
  "GET /api/v1/runners": "runners:read",
  "GET /api/v1/whoami": "session:read",
  "GET /api/v1/runtimes": "system:read",
  "GET /api/v1/functions/{name}/usage": "usage:read",
  "GET /api/v1/usage": "usage:read",
  "POST /api/v1/triggers": "triggers:write",
  "GET /api/v1/triggers": "triggers:read",
  "GET /api/v1/triggers/{id}": "triggers:read",
  "PUT /api/v1/triggers/{id}": "triggers:write",
  "DELETE /api/v1/triggers/{id}": "triggers:write",
  "GET /api/v1/functions/{name}/logs": "logs:read",
  "GET /metrics": "metrics:read",
  "GET /api/v1/invocations/{requestId}": "invocations:read",
  "GET /api/v1/functions/{name}/invocations": "invocations:read",
  "PUT /api/v1/functions/{name}/event-invoke-config": "functions:write",
  "GET /api/v1/functions/{name}/event-invoke-config": "functions:read",
  "DELETE /api/v1/functions/{name}/event-invoke-config": "functions:write",
  "GET /api/v1/audit": "audit:read",
  "POST /api/v1/admin/secrets/rotate": "secrets:write",
  "POST /api/v1/keys": "keys:write",
  "GET /api/v1/keys": "keys:read",
  "GET /api/v1/keys/{id}": "keys:read",
  "DELETE /api/v1/keys/{id}": "keys:write",
  "POST /api/v1/keys/{id}/rotate": "keys:write",
  "POST /api/v1/layers/{name}/versions": "layers:write",
  "GET /api/v1/layers": "layers:read",
  "GET /api/v1/layers/{name}/versions": "layers:read",
  "GET /api/v1/layers/{name}/versions/{version}": "layers:read",
  "DELETE /api/v1/layers/{name}/versions/{version}": "layers:write",
  // The Lambda-compatible invoke (served by the front door, not described in /openapi.json).
  "POST /2015-03-31/functions/{name}/invocations": "functions:invoke",
  "POST /2021-11-15/functions/{name}/response-streaming-invocations": "functions:invoke",
};

/** Permissions only admins hold: API keys are the keys to everything else; the audit trail and secret rotation. */
const ADMIN_ONLY: readonly Permission[] = ["keys:read", "keys:write", "audit:read", "secrets:write"];
const READ: Permission[] = PERMISSIONS.filter((p) => p.endsWith(":read") && !ADMIN_ONLY.includes(p));
const DEPLOY: Permission[] = ["functions:write", "functions:invoke", "versions:write", "aliases:write", "deployments:write", "triggers:write", "layers:write"];

/** What each role may do. admin has everything; a role not listed here has nothing. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  admin: new Set(PERMISSIONS),
  deployer: new Set([...READ, ...DEPLOY]),
  invoker: new Set<Permission>(["functions:invoke", "session:read"]),
  viewer: new Set(READ),
};

/**
 * Routes that show the whole platform at once (every function's series, every runner's warm
 * instances): a principal scoped to some functions is refused them rather than shown the rest.
 */
export const UNSCOPED_ROUTES: ReadonlySet<string> = new Set(["GET /metrics", "GET /api/v1/runners"]);

/** The permission a route declares, by method and OpenAPI-style path; undefined when it declares none. */
export function routePermission(method: string, openApiPath: string): Permission | undefined {
  return ROUTE_PERMISSIONS[`${method.toUpperCase()} ${openApiPath}`];
}

/** Hono's `/a/:b` route path in OpenAPI's `/a/{b}` form. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** True when one of the principal's roles grants `permission` and its function scope (if any) covers `fn`. */
export function allows(principal: Principal, permission: Permission, fn?: string): boolean {
  if (fn !== undefined && !inFunctionScope(principal.functions, fn)) return false;
  if (permission === "deployments:approve") return grantsApprove(principal);
  for (const role of principal.roles) if (ROLE_PERMISSIONS[role]?.has(permission)) return true;
  return false;
}

/**
 * `deployments:approve` is decided here alone, whatever a role's set says: admins hold it, and a
 * principal flagged canApprove (a key's can_approve, a JWT's `approver` role) whose role may write
 * deployments. A viewer flagged canApprove still may not: approving starts a rollout.
 */
function grantsApprove(principal: Principal): boolean {
  if (principal.roles.includes("admin")) return true;
  return principal.canApprove === true && principal.roles.some((r) => ROLE_PERMISSIONS[r]?.has("deployments:write"));
}

/** Throws 403 Forbidden naming the missing permission unless the principal has it (for `fn`, when given). */
export function authorize(principal: Principal, permission: Permission, fn?: string): void {
  if (allows(principal, permission, fn)) return;
  const who = principal.keyId ? `API key "${principal.keyId}"` : `"${principal.subject}"`;
  const roles = principal.roles.length ? `role ${principal.roles.map((r) => `"${r}"`).join(", ")}` : "no role";
  if (fn !== undefined && !inFunctionScope(principal.functions, fn)) {
    throw new ApiError(
      "Forbidden",
      `This operation needs permission "${permission}" on function "${fn}", which is outside the scope of ${who} (functions ${JSON.stringify(principal.functions)}). Use a key or token whose scope covers "${fn}".`,
    );
  }
  const how = permission === "deployments:approve" ? "Admins hold it; a deployer needs a key with canApprove (or a JWT with role approver)." : "Use a key whose role grants it.";
  throw new ApiError("Forbidden", `This operation needs permission "${permission}"; ${who} has ${roles}. ${how}`);
}

/** Throws 403 when a function-scoped principal asks for a view of every function (UNSCOPED_ROUTES). */
export function authorizeUnscoped(principal: Principal, route: string): void {
  if (principal.functions === undefined || !UNSCOPED_ROUTES.has(route)) return;
  const who = principal.keyId ? `API key "${principal.keyId}"` : `"${principal.subject}"`;
  throw new ApiError("Forbidden", `${route} shows every function, and ${who} is scoped to functions ${JSON.stringify(principal.functions)}. Use a key or token without a function scope.`);
}

/** The names among `names` the principal's function scope covers (all of them when it has none). */
export function visibleFunctions<T>(principal: Principal | undefined, items: T[], nameOf: (item: T) => string): T[] {
  if (principal?.functions === undefined) return items;
  return items.filter((item) => inFunctionScope(principal.functions, nameOf(item)));
}

/** A route that declares no permission: refused rather than allowed, so a forgotten entry fails closed. */
export function undeclaredRoute(method: string, path: string): ApiError {
  return new ApiError("Forbidden", `No permission is declared for ${method.toUpperCase()} ${path}, so it is refused. Declare one in platform/src/auth/permissions.ts.`);
}
