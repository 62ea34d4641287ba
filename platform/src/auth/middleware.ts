/**
 * The Hono side of authentication and authorization: `authenticate` runs the shared ordered list
 * of authenticators on a neutral view of Hono's request and sets `principal`; `authorizeRoutes`
 * checks the permission the matched route declares in `permissions.ts`. Public paths pass both.
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { ApiError } from "../../../protocol/errors.ts";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../protocol/limits.ts";
import { authenticateNow, type Authenticator } from "./authentication.ts";
import { isPublicPath, PUBLIC_PATHS, type CredentialRequest } from "./credentials.ts";
import { authorize, authorizeUnscoped, openApiPath, routePermission, undeclaredRoute } from "./permissions.ts";
import type { Principal } from "./principal.ts";

/** Hono context variables set by `authenticate`: `c.get("principal")`. */
export type AuthVariables = { principal: Principal };
/** Hono env for apps and routers behind `authenticate`. */
export type AuthEnv = { Variables: AuthVariables };

export interface AuthenticateOptions {
  /** Tried in order; the first non-null principal wins. */
  authenticators: readonly Authenticator[];
  /** @default PUBLIC_PATHS */
  publicPaths?: readonly string[];
}

/** Middleware that sets `principal` or answers 401/403. Public paths pass through untouched. */
export function authenticate(opts: AuthenticateOptions): MiddlewareHandler<AuthEnv> {
  const publicPaths = opts.publicPaths ?? PUBLIC_PATHS;
  return async (c, next) => {
    if (isPublicPath(c.req.path, publicPaths)) return next();
    c.set("principal", await authenticateNow(opts.authenticators, new HonoCredentials(c)));
    return next();
  };
}

/**
 * Middleware (after `authenticate`) that lets a request reach its route only when the principal
 * has the permission that route declares. A route declaring none is refused with 403; a request
 * matching no route goes on to the 404. For a function-scoped principal, a route naming a function
 * in its path (`{name}`) must name one inside the scope; routes that name it elsewhere (a trigger,
 * a deployment, a list) check or filter in their handlers, and whole-platform views are refused.
 */
export function authorizeRoutes(opts: { publicPaths?: readonly string[] } = {}): MiddlewareHandler<AuthEnv> {
  const publicPaths = opts.publicPaths ?? PUBLIC_PATHS;
  return async (c, next) => {
    if (isPublicPath(c.req.path, publicPaths)) return next();
    const route = matchedRoutes(c).findLast((r) => r.method !== "ALL");
    if (!route) return next();
    const path = openApiPath(route.path);
    const permission = routePermission(route.method, path);
    if (!permission) throw undeclaredRoute(route.method, path);
    const principal = c.get("principal");
    if (!principal) throw new ApiError("Unauthorized", "Missing credentials.");
    if (principal.functions === undefined) authorize(principal, permission);
    else {
      authorize(principal, permission, functionInPath(path, c.req.path));
      authorizeUnscoped(principal, `${route.method} ${path}`);
    }
    return next();
  };
}

/** The `{name}` segment of `path` (a request path matching the OpenAPI `template`), decoded; undefined when the template has none. */
export function functionInPath(template: string, path: string): string | undefined {
  const at = template.split("/").indexOf("{name}");
  if (at === -1) return undefined;
  const segment = path.split("/")[at];
  return segment === undefined ? undefined : segment;
}

/**
 * Hono's request as authenticators see it. The body comes from `c.req.arrayBuffer()`, which Hono
 * caches, so handlers can still call `c.req.json()`, `text()` or `arrayBuffer()` afterwards.
 */
class HonoCredentials implements CredentialRequest {
  readonly method: string;
  readonly path: string;
  readonly rawPath: string;
  readonly rawQuery: string;

  constructor(private readonly c: Context) {
    this.method = c.req.method;
    this.path = c.req.path;
    const raw = rawPathAndQuery(c.req.url);
    this.rawPath = raw.path;
    this.rawQuery = raw.query;
  }

  /** The TCP peer, from @hono/node-server's bindings (absent under app.request() in tests). */
  get remoteAddress(): string | undefined {
    return (this.c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
  }

  header(name: string): string | undefined {
    return this.c.req.header(name);
  }

  get(name: string): string | null {
    return this.c.req.raw.headers.get(name);
  }

  async body(): Promise<Uint8Array> {
    const bytes = new Uint8Array(await this.c.req.arrayBuffer());
    if (bytes.length > MAX_SYNC_PAYLOAD_BYTES) throw new ApiError("PayloadTooLarge", "The request body is too large.");
    return bytes;
  }
}

/** Path and query exactly as in the request URL (Hono's `c.req.path` is percent-decoded). */
export function rawPathAndQuery(url: string): { path: string; query: string } {
  const start = url.indexOf("/", url.indexOf("://") + 3);
  if (start === -1) return { path: "/", query: "" };
  const hash = url.indexOf("#", start);
  const end = hash === -1 ? url.length : hash;
  const q = url.indexOf("?", start);
  if (q === -1 || q > end) return { path: url.slice(start, end), query: "" };
  return { path: url.slice(start, q), query: url.slice(q + 1, end) };
}
