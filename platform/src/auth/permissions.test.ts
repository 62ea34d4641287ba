import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isApiError } from "../../../protocol/errors.ts";
import { createApp, type AppDeps } from "../api/app.ts";
import { authenticate } from "./middleware.ts";
import { allows, authorize, openApiPath, PERMISSIONS, ROLE_PERMISSIONS, ROUTE_PERMISSIONS, routePermission, UNSCOPED_ROUTES } from "./permissions.ts";
import { CONSOLE_ROUTE_PATHS } from "../console/console-assets.ts";
import { ROLES, type Principal } from "./principal.ts";

const ADMIN: Principal = { subject: "key:admin1", keyId: "admin1", method: "bearer", roles: ["admin"] };
const VIEWER: Principal = { subject: "key:view1", keyId: "view1", method: "bearer", roles: ["viewer"] };

/** The real app over stub services: routing, middleware and the OpenAPI document need none of them. */
function app(principal: Principal | null = ADMIN) {
  const stub = {} as never;
  const deps: AppDeps = {
    functions: stub,
    versions: stub,
    aliases: stub,
    deployments: stub,
    usage: stub,
    triggers: stub,
    logs: stub,
    runner: { runtimes: async () => [] } as never,
    health: { runnerList: stub } as never,
    backend: "process",
    auth: authenticate({ authenticators: [() => principal] }) as never,
    log: { error: () => {} },
    version: "test",
    audit: stub,
    secrets: stub,
    asyncRepos: stub,
    keys: stub,
    metrics: stub,
  };
  return createApp(deps);
}

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

describe("declared permissions", () => {
  it("every route in /openapi.json and the Lambda invoke path declares a permission", async () => {
    const doc = (await (await app().request("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    routes.push("POST /2015-03-31/functions/{name}/invocations", "POST /2021-11-15/functions/{name}/response-streaming-invocations");
    assert.ok(routes.includes("POST /api/v1/functions/{name}/invoke"), "the invoke endpoint is described");
    assert.ok(routes.length > 20, `walked ${routes.length} routes`);
    const undeclared = routes.filter((r) => r !== "GET /health" && !(r in ROUTE_PERMISSIONS));
    assert.deepEqual(undeclared, [], "routes without a declared permission");
    for (const p of Object.values(ROUTE_PERMISSIONS)) assert.ok((PERMISSIONS as readonly string[]).includes(p), p);
  });

  it("every route the app serves finds its permission at run time (Hono's :param paths map onto the table)", () => {
    const served = app()
      // Public: /health and the API's description, and the console's page and assets (served before authentication).
      .routes.filter((r) => r.method !== "ALL" && !["/health", "/openapi.json", "/docs", ...CONSOLE_ROUTE_PATHS].includes(r.path))
      .map((r) => `${r.method} ${openApiPath(r.path)}`);
    assert.ok(served.length > 20, `found ${served.length}`);
    assert.deepEqual(served.filter((r) => !(r in ROUTE_PERMISSIONS)), []);
  });

  it("refuses at run time a route that declares no permission", async () => {
    const a = app();
    a.get("/api/v1/undeclared", (c) => c.json({ reached: true }));
    const res = await a.request("/api/v1/undeclared");
    assert.equal(res.status, 403);
    const err = await errorOf(res);
    assert.equal(err.code, "Forbidden");
    assert.match(err.message, /No permission is declared for GET \/api\/v1\/undeclared/);
  });

  it("lets viewers and admins read function logs (logs:read), and declares it for the logs route", () => {
    assert.equal(routePermission("GET", "/api/v1/functions/{name}/logs"), "logs:read");
    assert.ok(allows(VIEWER, "logs:read"));
    assert.ok(allows(ADMIN, "logs:read"));
    assert.ok(!allows({ ...VIEWER, roles: [] }, "logs:read"), "no role, no logs");
  });

  it("answers 403 Forbidden naming the missing permission to a principal without it", async () => {
    const res = await app(VIEWER).request("/api/v1/functions/x", { method: "DELETE" });
    assert.equal(res.status, 403);
    const err = await errorOf(res);
    assert.equal(err.code, "Forbidden");
    assert.match(err.message, /needs permission "functions:write"; API key "view1" has role "viewer"/);
    assert.ok(res.headers.get("x-request-id"), "the error carries the request id");
  });

  it("keeps /health, /openapi.json and /docs public", async () => {
    const a = app(null);
    assert.equal((await a.request("/openapi.json")).status, 200);
    assert.equal((await a.request("/docs")).status, 200);
    assert.equal((await a.request("/api/v1/functions")).status, 401, "while the API is not");
  });

  it("leaves an unknown path to the 404 after authentication", async () => {
    const res = await app().request("/api/v1/nothing");
    assert.equal(res.status, 404);
    assert.equal((await errorOf(res)).code, "RouteNotFound");
  });

  it("the Hono app does not implement the invoke endpoint: the front door does", async () => {
    const res = await app().request("/api/v1/functions/fn/invoke", { method: "POST", body: "{}" });
    assert.equal(res.status, 404);
    assert.equal((await errorOf(res)).code, "RouteNotFound");
  });
});

describe("roles", () => {
  it("admin has every permission; viewer only reads; no role, nothing", () => {
    for (const p of PERMISSIONS) assert.ok(allows(ADMIN, p), p);
    assert.ok(allows(VIEWER, "functions:read"));
    assert.ok(!allows(VIEWER, "functions:invoke"));
    assert.ok(!allows({ ...ADMIN, roles: [] }, "functions:read"));
  });

  it("authorize throws 403 naming the permission", () => {
    assert.throws(() => authorize(VIEWER, "deployments:write"), (e: unknown) => isApiError(e) && e.status === 403 && e.message.includes('"deployments:write"'));
  });

  it("looks routes up by method and OpenAPI path", () => {
    assert.equal(openApiPath("/api/v1/functions/:name/aliases/:alias"), "/api/v1/functions/{name}/aliases/{alias}");
    assert.equal(routePermission("post", "/api/v1/functions/{name}/invoke"), "functions:invoke");
    assert.equal(routePermission("GET", "/api/v1/nothing"), undefined);
  });
});

it("the audit trail and secret rotation are admin-only: a viewer gets every other read, not audit:read", () => {
  const viewer = { subject: "key:v", method: "bearer" as const, roles: ["viewer" as const] };
  const admin = { subject: "key:a", method: "bearer" as const, roles: ["admin" as const] };
  assert.equal(allows(viewer, "audit:read"), false);
  assert.equal(allows(viewer, "secrets:write"), false);
  assert.equal(allows(viewer, "functions:read"), true);
  assert.equal(allows(admin, "audit:read"), true);
  assert.equal(allows(admin, "secrets:write"), true);
  assert.equal(routePermission("GET", "/api/v1/audit"), "audit:read");
  assert.equal(routePermission("POST", "/api/v1/admin/secrets/rotate"), "secrets:write");
});

describe("deployments:approve", () => {
  const DEPLOYER: Principal = { subject: "key:dep1", keyId: "dep1", method: "bearer", roles: ["deployer"] };

  it("admins hold it; a deployer only with canApprove; a viewer never, even with canApprove", () => {
    assert.ok(allows(ADMIN, "deployments:approve"));
    assert.ok(!allows(DEPLOYER, "deployments:approve"));
    assert.ok(allows(DEPLOYER, "deployments:write"), "the deployer still deploys");
    assert.ok(allows({ ...DEPLOYER, canApprove: true }, "deployments:approve"));
    assert.ok(!allows({ ...VIEWER, canApprove: true }, "deployments:approve"), "approving starts a rollout: a viewer may not");
    assert.ok(!allows({ ...ADMIN, roles: [], canApprove: true }, "deployments:approve"));
  });

  it("declares it for approve and reject, and says how to get it when it is missing", () => {
    assert.equal(routePermission("POST", "/api/v1/deployments/{id}/approve"), "deployments:approve");
    assert.equal(routePermission("POST", "/api/v1/deployments/{id}/reject"), "deployments:approve");
    assert.throws(
      () => authorize(DEPLOYER, "deployments:approve"),
      (e: unknown) => isApiError(e) && e.status === 403 && /needs permission "deployments:approve"; API key "dep1" has role "deployer"\. .*canApprove/.test(e.message),
    );
  });
});

/** Every route of /openapi.json as `METHOD /path`, plus the Lambda invoke paths the front door serves. */
async function everyRoute(): Promise<string[]> {
  const doc = (await (await app().request("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
  const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  return [...routes.filter((r) => r !== "GET /health"), "POST /2015-03-31/functions/{name}/invocations", "POST /2021-11-15/functions/{name}/response-streaming-invocations"];
}

/** Routes the front door serves (the Hono app only documents them): the pipeline's authorize stage checks them. */
const FRONT_DOOR = new Set(["POST /api/v1/functions/{name}/invoke", "POST /2015-03-31/functions/{name}/invocations", "POST /2021-11-15/functions/{name}/response-streaming-invocations"]);

/** Ask the real app as `principal`; for front-door routes, the same `authorize` the pipeline runs. Returns 403's message or "allowed". */
async function outcome(principal: Principal, route: string, fn = "orders-1"): Promise<string> {
  const [method, template] = route.split(" ") as [string, string];
  const path = template.replace("{name}", fn).replace(/\{[^}]+\}/g, "abcd1234");
  if (FRONT_DOOR.has(route)) {
    try {
      authorize(principal, routePermission(method, template)!, fn);
      return "allowed";
    } catch (e) {
      return isApiError(e) && e.status === 403 ? e.message : `threw ${String(e)}`;
    }
  }
  const res = await app(principal).request(path, { method, headers: { "content-type": "application/json" }, body: method === "GET" || method === "DELETE" ? undefined : "{}" });
  if (res.status === 401) return "401";
  if (res.status !== 403) return "allowed";
  const err = await errorOf(res);
  return err.code === "Forbidden" ? err.message : `403 ${err.code}`;
}

describe("every role on every route", () => {
  it("allows a route exactly when the role grants its permission, else 403 Forbidden naming the permission", async () => {
    const routes = await everyRoute();
    assert.ok(routes.length > 40, `walked ${routes.length} routes`);
    assert.ok(routes.includes("POST /api/v1/keys") && routes.includes("POST /api/v1/keys/{id}/rotate"), "the key routes are described");
    const wrong: string[] = [];
    for (const role of ROLES) {
      const principal: Principal = { subject: `key:${role}1`, keyId: `${role}1`, method: "bearer", roles: [role] };
      for (const route of routes) {
        const permission = ROUTE_PERMISSIONS[route]!;
        const expected = ROLE_PERMISSIONS[role].has(permission);
        const got = await outcome(principal, route);
        if (expected && got !== "allowed") wrong.push(`${role} ${route}: expected allowed, got ${got}`);
        if (!expected && !got.includes(`needs permission "${permission}"`)) wrong.push(`${role} ${route}: expected 403 naming ${permission}, got ${got}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("grants deployer everything but the admin-only permissions and approving, invoker only invoke (and whoami), viewer only reads, and only admin the keys", () => {
    const deployer = ROLE_PERMISSIONS.deployer;
    // Admin only: keys, the audit trail and secret rotation. Approving is decided per principal (canApprove), not by role.
    const notDeployer = new Set(["keys:read", "keys:write", "audit:read", "secrets:write", "deployments:approve"]);
    for (const p of PERMISSIONS) assert.equal(deployer.has(p), !notDeployer.has(p), `deployer ${p}`);
    assert.deepEqual([...ROLE_PERMISSIONS.invoker], ["functions:invoke", "session:read"]);
    for (const role of ROLES) assert.ok(ROLE_PERMISSIONS[role].has("session:read"), `${role} may read who it is`);
    for (const p of ROLE_PERMISSIONS.viewer) assert.ok(p.endsWith(":read") && p !== "keys:read" && p !== "audit:read", `viewer ${p}`);
    for (const role of ROLES) assert.equal(ROLE_PERMISSIONS[role].has("keys:write"), role === "admin");
  });
});

describe("function scopes", () => {
  const SCOPED: Principal = { subject: "key:scoped1", keyId: "scoped1", method: "bearer", roles: ["admin"], functions: ["orders-*", "billing"] };

  it("every route naming a function in its path answers 403 outside the scope and passes inside it", async () => {
    const named = (await everyRoute()).filter((r) => r.includes("{name}"));
    assert.ok(named.length > 15, `walked ${named.length} function routes`);
    const wrong: string[] = [];
    for (const route of named) {
      const outside = await outcome(SCOPED, route, "payments");
      if (!outside.includes('on function "payments", which is outside the scope')) wrong.push(`${route} outside: ${outside}`);
      for (const inside of ["orders-eu", "billing"]) {
        const got = await outcome(SCOPED, route, inside);
        if (got !== "allowed") wrong.push(`${route} ${inside}: ${got}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("refuses whole-platform views to a scoped principal, naming its scope", async () => {
    for (const route of UNSCOPED_ROUTES) assert.match(await outcome(SCOPED, route), /shows every function, and API key "scoped1" is scoped to functions \["orders-\*","billing"\]/);
    assert.equal(await outcome({ ...SCOPED, functions: undefined }, "GET /api/v1/runners"), "allowed");
  });

  it("matches patterns as whole names: * is any run, everything else literal", () => {
    assert.ok(allows(SCOPED, "functions:read", "orders-"));
    assert.ok(!allows(SCOPED, "functions:read", "billing2"));
    assert.ok(!allows(SCOPED, "functions:read", "xorders-1"));
    assert.ok(!allows({ ...SCOPED, functions: [] }, "functions:read", "billing"), "an empty scope covers nothing");
  });
});
