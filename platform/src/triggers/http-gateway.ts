/**
 * The HTTP gateway: the entry that serves Http triggers, on the API port under /fn and, when
 * HOTSWAP_GATEWAY_PORT is set, at the bare path on a listener of its own. A request is matched in
 * the in-memory route table (404 RouteNotFound, 405 with Allow), a CORS preflight is answered from
 * the route's settings, and everything else becomes an `Invocation` for the one invocation
 * pipeline: `auth: "key"` routes carry the request's credentials (authenticate + authorize
 * `functions:invoke` on the function, as the front door does), `auth: "none"` routes the trigger's
 * internal principal, `auth: "jwt"` routes the trigger's principal once the Bearer JWT verified
 * under the server's settings (API Gateway's JWT authorizer: the claims go to the function). The event (payload format 2.0) is built only once authorization passed, from
 * a body bounded by the route's limit (413). The outcome is mapped back as API Gateway does, and
 * counted in the trigger's batched statistics. A streaming handler's response is streamed (gateway-stream.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError } from "../../../protocol/errors.ts";
import { HEADER_REQUEST_ID } from "../../../protocol/headers.ts";
import type { HttpCors } from "../../../protocol/api/triggers.ts";
import { apiErrorOf, requestIdFrom, type ErrorLog } from "../api/envelope.ts";
import { writeAnswer, writeError } from "../api/front-door/answers.ts";
import { guarded } from "../api/front-door/guard.ts";
import { IncomingRequest } from "../api/front-door/incoming-request.ts";
import { readIncoming } from "../api/raw-body.ts";
import { payloadTooLarge } from "../invocation/event.ts";
import type { Invocation, InvocationHandler } from "../invocation/invocation.ts";
import { buildGatewayEvent } from "./gateway-event.ts";
import { gatewayAnswer } from "./gateway-result.ts";
import { GatewayStream } from "./gateway-stream.ts";
import type { HttpRouteTable } from "./http-route-table.ts";
import type { TriggerStats } from "./trigger-stats.ts";
import { bearerJwt } from "../auth/jwt-authenticator.ts";
import type { JwtVerifier } from "../auth/jwt-verifier.ts";

/** Where Http trigger routes answer on the API port. */
export const GATEWAY_PATH_PREFIX = "/fn";

export interface HttpGatewayDeps {
  routes: Pick<HttpRouteTable, "match">;
  /** The invocation pipeline, with the authenticators (the front door's). */
  pipeline: InvocationHandler;
  stats: Pick<TriggerStats, "record">;
  log: ErrorLog;
  /** Verifies the Bearer JWT of `auth: "jwt"` routes; absent: those routes answer 401 JwtNotConfigured. */
  jwt?: Pick<JwtVerifier, "verify" | "configured">;
}

/**
 * A request handler for Http trigger routes under `prefix` ("/fn" on the API port, "" on the
 * gateway port). Returns false for a request outside the prefix.
 */
export function createHttpGateway(deps: HttpGatewayDeps, prefix: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url ?? "/";
    // Every request on the API port passes here first: one prefix check for the ones that are not ours.
    if (prefix !== "" && !url.startsWith(prefix)) return false;
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    if (prefix !== "" && path !== prefix && !path.startsWith(prefix + "/")) return false;
    const rawPath = path.slice(prefix.length) || "/";
    const rawQuery = q === -1 ? "" : url.slice(q + 1);
    guarded(req, res, deps.log, "hotswap", () => serveRoute(deps, req, res, rawPath, rawQuery));
    return true;
  };
}

async function serveRoute(deps: HttpGatewayDeps, req: IncomingMessage, res: ServerResponse, rawPath: string, rawQuery: string): Promise<void> {
  const requestId = requestIdFrom(req.headers[HEADER_REQUEST_ID]);
  const method = req.method ?? "GET";
  const preflightMethod = method === "OPTIONS" && req.headers.origin ? req.headers["access-control-request-method"] : undefined;
  if (typeof preflightMethod === "string") {
    const m = deps.routes.match(preflightMethod.toUpperCase(), rawPath);
    if (m.kind === "route" && m.route.config.cors) return writePreflight(req, res, requestId, m.route.config.cors);
  }
  const match = deps.routes.match(method, rawPath);
  if (match.kind === "not-found") {
    return writeError(req, res, requestId, new ApiError("RouteNotFound", `No Http trigger route matches ${method} ${rawPath}. List routes with GET /api/v1/triggers?type=Http.`));
  }
  if (match.kind === "method-not-allowed") {
    const err = new ApiError("MethodNotAllowed", `${rawPath} is routed for ${match.allow.join(", ")}, not ${method}.`);
    res.setHeader("allow", match.allow.join(", "));
    return writeError(req, res, requestId, err);
  }
  const { route, pathParameters } = match;
  const cors = route.config.cors ? corsHeaders(route.config.cors, req.headers.origin) : {};
  const limit = route.config.maxBodyBytes;
  const declared = req.headers["content-length"];
  const tooLarge = (size?: number) => new ApiError("PayloadTooLarge", `The request body${size === undefined ? "" : ` is ${size} bytes and`} exceeds this route's ${limit} byte limit (maxBodyBytes of trigger ${route.triggerId}).`);
  if (declared !== undefined && Number(declared) > limit) return writeError(req, res, requestId, tooLarge(Number(declared)));

  let jwtClaims: Record<string, unknown> | undefined;
  if (route.config.auth === "jwt") {
    try {
      jwtClaims = await verifyRouteJwt(deps, req.headers.authorization);
    } catch (e) {
      for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
      return writeError(req, res, requestId, apiErrorOf(e, requestId, deps.log, { method, path: req.url ?? rawPath }));
    }
  }
  const request = new IncomingRequest(req, rawQuery, payloadTooLarge);
  const now = new Date();
  const inv: Invocation = {
    requestId,
    name: route.functionName,
    qualifier: route.qualifier,
    route: request,
    // Read only after authentication and authorization passed (the pipeline's event stage).
    source: {
      readPayload: async () => {
        const body = await readIncoming(req, limit, tooLarge);
        const event = buildGatewayEvent({
          method,
          rawPath,
          rawQuery,
          rawHeaders: req.rawHeaders,
          body,
          sourceIp: sourceIpOf(req),
          protocol: `HTTP/${req.httpVersion}`,
          requestId,
          now,
          routeKey: route.routeKey,
          pathParameters,
          ...(jwtClaims ? { jwtClaims } : {}),
        });
        return Buffer.from(JSON.stringify(event));
      },
    },
  };
  if (route.config.auth !== "key") inv.principal = route.principal;
  else inv.credentials = request;
  // A streaming handler's response leaves as it is written, as from a Lambda function URL.
  const stream = new GatewayStream(res, { ...cors, [HEADER_REQUEST_ID]: requestId, "apigw-requestid": requestId }, method === "HEAD");
  inv.stream = stream;
  try {
    const outcome = (await deps.pipeline.handle(inv))!;
    if (stream.begun) {
      deps.stats.record(route.triggerId, stream.end(outcome), now);
      return;
    }
    const answer = gatewayAnswer(outcome);
    deps.stats.record(route.triggerId, answer.failure, now);
    const headers: Record<string, string | string[]> = { ...answer.headers, ...cors, [HEADER_REQUEST_ID]: requestId, "apigw-requestid": requestId };
    const bodiless = method === "HEAD" || answer.status === 204 || answer.status === 304;
    writeGatewayAnswer(res, answer.status, headers, bodiless ? undefined : answer.body);
  } catch (e) {
    const err = apiErrorOf(e, requestId, deps.log, { method, path: req.url ?? rawPath });
    if (err.status >= 500) deps.stats.record(route.triggerId, `${err.code}: ${err.message}`, now);
    for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
    writeError(req, res, requestId, err);
  }
}

/** The claims of the request's Bearer JWT, verified; throws the 401 saying what is wrong. */
async function verifyRouteJwt(deps: HttpGatewayDeps, header: string | undefined): Promise<Record<string, unknown>> {
  if (!deps.jwt?.configured) throw new ApiError("JwtNotConfigured", 'This route needs a JWT (auth "jwt"), but the server has no JWT settings: set HOTSWAP_JWT_SECRET or HOTSWAP_JWT_JWKS_URL.');
  const token = bearerJwt(header);
  if (token === undefined) throw new ApiError("Unauthorized", 'This route needs a JWT: send "Authorization: Bearer <token>" with a token from the configured issuer.');
  return (await deps.jwt.verify(token)).claims;
}

function sourceIpOf(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? "";
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}

/** The Access-Control-Allow-Origin to answer `origin` with, or undefined when the route does not allow it. */
function allowedOrigin(cors: HttpCors, origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  if (cors.allowOrigins.includes(origin)) return origin;
  if (cors.allowOrigins.includes("*")) return "*";
  return undefined;
}

/** CORS headers of an actual (non-preflight) response. */
function corsHeaders(cors: HttpCors, origin: string | undefined): Record<string, string> {
  const allow = allowedOrigin(cors, origin);
  if (!allow) return {};
  const h: Record<string, string> = { "access-control-allow-origin": allow };
  if (allow !== "*") h["vary"] = "origin";
  if (cors.allowCredentials) h["access-control-allow-credentials"] = "true";
  if (cors.exposeHeaders.length > 0) h["access-control-expose-headers"] = cors.exposeHeaders.join(",");
  return h;
}

/** The platform's answer to a CORS preflight, from the route's settings (the function is not invoked). */
function writePreflight(req: IncomingMessage, res: ServerResponse, requestId: string, cors: HttpCors): void {
  const headers: Record<string, string> = { [HEADER_REQUEST_ID]: requestId, vary: "origin" };
  const allow = allowedOrigin(cors, req.headers.origin);
  if (allow) {
    headers["access-control-allow-origin"] = allow;
    if (cors.allowMethods.length > 0) headers["access-control-allow-methods"] = cors.allowMethods.join(",");
    const asked = req.headers["access-control-request-headers"];
    if (cors.allowHeaders.length > 0) headers["access-control-allow-headers"] = cors.allowHeaders.includes("*") && typeof asked === "string" ? asked : cors.allowHeaders.join(",");
    if (cors.maxAge !== undefined) headers["access-control-max-age"] = String(cors.maxAge);
    if (cors.allowCredentials) headers["access-control-allow-credentials"] = "true";
  }
  if (!req.readableEnded) res.shouldKeepAlive = false;
  writeAnswer(res, 204, headers, undefined);
}

/** Like writeAnswer, with headers that may repeat (Set-Cookie). */
function writeGatewayAnswer(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: Buffer | undefined): void {
  if (body !== undefined) headers["content-length"] = String(body.length);
  res.writeHead(status, headers);
  res.end(body);
}
