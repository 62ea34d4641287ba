/**
 * Authentication middleware: an ordered list of authenticators, the first that recognises
 * the request's credentials decides. Bearer API keys work everywhere; AWS SigV4 only on the
 * Lambda-compatible path. Later issues add JWT (another authenticator), roles (`requireRole`)
 * and rate limits (after `authenticate`, keyed by `principal.keyId`).
 */
import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../../../protocol/errors.ts";
import { keyIdFromAccessKeyId, parseApiKey } from "./api-key.ts";
import type { KeyResolver, ResolvedKey } from "./key-store.ts";
import { isSigV4Authorization, verifySigV4 } from "./sigv4.ts";

/** Who made the request. */
export interface Principal {
  keyId: string;
  role: string;
  method: "bearer" | "sigv4";
}

/** Hono context variables set by `authenticate`: `c.get("principal")`. */
export type AuthVariables = { principal: Principal };
/** Hono env for apps and routers behind `authenticate`. */
export type AuthEnv = { Variables: AuthVariables };

/**
 * Returns the principal when the request carries credentials this authenticator handles
 * and they are valid; null when it carries none of its kind (the next one is tried);
 * throws `ApiError` when they are present but wrong.
 */
export type Authenticator = (c: Context) => Promise<Principal | null>;

/** Paths served without credentials (exact match or anything below them). */
export const DEFAULT_PUBLIC_PATHS: readonly string[] = ["/health", "/openapi.json", "/docs"];
/** Prefix of the Lambda-compatible API, where SigV4 is accepted. */
export const LAMBDA_PATH_PREFIX = "/2015-03-31/";

const BEARER_HINT = 'Send "Authorization: Bearer hs_<id>_<secret>" with an API key';

export interface AuthenticateOptions {
  /** Tried in order; the first non-null principal wins. */
  authenticators: Authenticator[];
  /** @default DEFAULT_PUBLIC_PATHS */
  publicPaths?: readonly string[];
}

/** Middleware that sets `principal` or answers 401/403. Public paths pass through untouched. */
export function authenticate(opts: AuthenticateOptions): MiddlewareHandler<AuthEnv> {
  const publicPaths = opts.publicPaths ?? DEFAULT_PUBLIC_PATHS;
  return async (c, next) => {
    const path = c.req.path;
    if (publicPaths.some((p) => path === p || path.startsWith(p.endsWith("/") ? p : p + "/"))) return next();
    for (const authenticator of opts.authenticators) {
      const principal = await authenticator(c);
      if (principal) {
        c.set("principal", principal);
        return next();
      }
    }
    throw new ApiError("Unauthorized", missingCredentialsMessage(c));
  };
}

function missingCredentialsMessage(c: Context): string {
  const header = c.req.header("authorization");
  const lambdaPath = c.req.path.startsWith(LAMBDA_PATH_PREFIX);
  if (isSigV4Authorization(header) && !lambdaPath) {
    return `AWS SigV4 is accepted only on the Lambda-compatible API (${LAMBDA_PATH_PREFIX}...). ${BEARER_HINT}`;
  }
  const prefix = header ? "Unsupported Authorization scheme." : "Missing credentials.";
  const sigv4 = lambdaPath ? ', or sign the request with AWS SigV4 (access key id "hs_<id>", secret access key "<secret>")' : "";
  return `${prefix} ${BEARER_HINT}${sigv4}`;
}

/** `Authorization: Bearer hs_<id>_<secret>`, checked against the stored hash only. */
export function bearerAuthenticator(resolver: KeyResolver): Authenticator {
  return (c) => verifyBearer(resolver, c.req.header("authorization"));
}

/**
 * Check an Authorization header carrying `Bearer hs_<id>_<secret>`. Null when the header is not a
 * Bearer one; throws ApiError Unauthorized when it is and the key is malformed, unknown or revoked.
 * Shared by the middleware and the invoke fast path, which runs outside Hono.
 */
export async function verifyBearer(resolver: KeyResolver, header: string | undefined): Promise<Principal | null> {
  const parsed = parseBearer(header);
  if (!parsed) return null;
  return bearerPrincipal(resolver, await resolver.verify(parsed.id, parsed.secret));
}

/**
 * verifyBearer without waiting, for the invoke fast path: the same answer when the key's record is
 * cached (nearly always), undefined when only verifyBearer can tell.
 */
export function verifyBearerCached(resolver: KeyResolver, header: string | undefined): Principal | null | undefined {
  // The common case, `Bearer <a token seen before>`, without a regular expression.
  if (header !== undefined && header.length > 7 && header.charCodeAt(6) === 32 && header.slice(0, 6).toLowerCase() === "bearer") {
    const seen = resolver.verifiedToken(header.slice(7));
    if (seen !== undefined) return bearerPrincipal(resolver, seen);
  }
  const parsed = parseBearer(header);
  if (!parsed) return null;
  const key = resolver.verifyCached(parsed.id, parsed.secret);
  return key === undefined ? undefined : bearerPrincipal(resolver, key);
}

const BEARER = /^[ \t]*Bearer[ \t]+(.*?)[ \t]*$/i;

/** The key in a Bearer header; null when the header is not a Bearer one; throws when the key is malformed. */
function parseBearer(header: string | undefined): { id: string; secret: string } | null {
  const m = header ? BEARER.exec(header) : null;
  if (!m) return null;
  const parsed = parseApiKey(m[1]!);
  // Never echo the token: it may be a real secret in the wrong shape.
  if (!parsed) throw new ApiError("Unauthorized", `Malformed API key: expected hs_<id>_<secret>. ${BEARER_HINT}`);
  return parsed;
}

function bearerPrincipal(resolver: KeyResolver, key: ResolvedKey | null): Principal {
  if (!key) throw new ApiError("Unauthorized", `Invalid or revoked API key. ${BEARER_HINT}`);
  resolver.markUsed(key.id);
  return { keyId: key.id, role: key.role, method: "bearer" };
}

export interface SigV4AuthenticatorOptions {
  /** Only requests under this prefix are considered. @default LAMBDA_PATH_PREFIX */
  pathPrefix?: string;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/**
 * AWS SigV4 on the Lambda-compatible path: access key id `hs_<id>`, secret access key `<secret>`.
 * Reads the body with `c.req.arrayBuffer()` (only after the header, time and key checked out);
 * Hono caches it, so handlers can still call `c.req.json()`, `text()` or `arrayBuffer()`
 * (but not read `c.req.raw.body` again). Mount the 6 MB body limit before this middleware.
 */
export function sigV4Authenticator(resolver: KeyResolver, opts: SigV4AuthenticatorOptions = {}): Authenticator {
  const prefix = opts.pathPrefix ?? LAMBDA_PATH_PREFIX;
  const now = opts.now ?? Date.now;
  return async (c) => {
    if (!c.req.path.startsWith(prefix) || !isSigV4Authorization(c.req.header("authorization"))) return null;
    const { path, query } = rawPathAndQuery(c.req.url);
    const body = async () => new Uint8Array(await c.req.arrayBuffer());
    const { accessKeyId } = await verifySigV4(
      { method: c.req.method, path, query, headers: c.req.raw.headers, body },
      async (accessKeyId) => {
        const id = keyIdFromAccessKeyId(accessKeyId);
        return id === null ? null : resolver.secret(id);
      },
      now(),
    );
    const id = keyIdFromAccessKeyId(accessKeyId)!;
    // The key may have been revoked between the secret lookup and now; re-read the cached record.
    const key = await resolver.get(id);
    if (!key) throw new ApiError("Unauthorized", `Unknown or revoked access key id "${accessKeyId}"`);
    resolver.markUsed(id);
    return { keyId: id, role: key.role, method: "sigv4" };
  };
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

/**
 * Allow only principals with one of `roles`. A stub until roles land: today every key is
 * `admin`, so this is where the role model plugs in. Must run after `authenticate`.
 */
export function requireRole(...roles: string[]): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    if (!principal) throw new ApiError("Unauthorized", `Missing credentials. ${BEARER_HINT}`);
    if (!roles.includes(principal.role)) {
      throw new ApiError("Forbidden", `This operation needs role ${roles.map((r) => `"${r}"`).join(" or ")}; API key "${principal.keyId}" has role "${principal.role}"`);
    }
    return next();
  };
}
