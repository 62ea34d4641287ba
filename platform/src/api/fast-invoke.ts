/**
 * The invoke fast path: `POST /api/v1/functions/{name}/invoke` answered straight from node:http,
 * in front of Hono. On this path the web-standard Request/Response adaptation, routing and
 * validation cost more than the whole hop to the instance (measured: a bare http server driving
 * the same runner reaches ~0.7× a bare handler server, the Hono route ~0.3×). Behaviour is the
 * Hono route's: same auth, same errors, same headers (`invokeResponse`). Anything this path does
 * not fully handle (no Bearer header, an odd qualifier) falls through to Hono untouched.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { parse as parseCookies } from "hono/utils/cookie";
import { ApiError } from "../../../protocol/errors.ts";
import { HEADER_REQUEST_ID, HEADER_TRACEPARENT } from "../../../protocol/headers.ts";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../protocol/limits.ts";
import { verifyBearer, verifyBearerCached, type KeyResolver } from "../auth/index.ts";
import { payloadTooLarge, type Invoker } from "../router/invoker.ts";
import type { RouteRequest } from "../router/routing-table.ts";
import { invokeResponse } from "./invoke/index.ts";
import { readIncoming } from "./raw-body.ts";
import { REQUEST_ID_PATTERN } from "./app.ts";

const INVOKE_PATH = /^\/api\/v1\/functions\/([A-Za-z0-9_-]{1,64})\/invoke(?:\?([^#]*))?$/;

export interface FastInvokeDeps {
  invoker: Invoker;
  resolver: KeyResolver;
  log: { error(obj: object, msg: string): void };
}

/** Returns a request handler that answers invokes and returns false for everything else. */
export function createFastInvoke(deps: FastInvokeDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== "POST" || !req.url) return false;
    const m = INVOKE_PATH.exec(req.url);
    if (!m) return false;
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer[ \t]/i.test(auth)) return false;
    const query = m[2] ? new URLSearchParams(m[2]) : undefined;
    const qualifier = query?.get("qualifier") ?? undefined;
    if (qualifier !== undefined && qualifier.length > 128) return false;
    void serve(deps, req, res, m[1]!, qualifier || undefined, query, auth);
    return true;
  };
}

async function serve(
  deps: FastInvokeDeps,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  qualifier: string | undefined,
  query: URLSearchParams | undefined,
  auth: string,
): Promise<void> {
  const given = req.headers[HEADER_REQUEST_ID];
  const requestId = typeof given === "string" && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
  try {
    // Nearly always answered from the key cache without an await, so the body listeners below are
    // attached in the same turn as the request event (attaching them a turn later measurably costs).
    const principal = verifyBearerCached(deps.resolver, auth) ?? (await verifyBearer(deps.resolver, auth));
    // Not a Bearer credential after all (a header the prefix check let through): never run unauthenticated.
    if (!principal) throw new ApiError("Unauthorized", 'Unsupported Authorization header. Send "Authorization: Bearer hs_<id>_<secret>" with an API key');
    const payload = await readIncoming(req, MAX_SYNC_PAYLOAD_BYTES, payloadTooLarge);
    const traceparent = req.headers[HEADER_TRACEPARENT];
    const { spec, outcome } = await deps.invoker.invoke(name, qualifier, payload, {
      requestId,
      traceparent: typeof traceparent === "string" ? traceparent : undefined,
      route: new IncomingRoute(req, query),
    });
    const r = invokeResponse(requestId, spec, outcome);
    r.headers["content-length"] = String(r.body.length);
    res.writeHead(r.status, r.headers);
    // As a latin1 string (one char per byte, so the bytes are exactly the function's) node:http
    // joins it to the status line and headers: one chunk to write instead of two.
    res.end(r.body.toString("latin1"), "latin1");
  } catch (e) {
    let err: ApiError;
    if (e instanceof ApiError) err = e;
    else {
      deps.log.error({ err: e, requestId, path: req.url }, "unhandled error");
      err = new ApiError("InternalError", `An internal error occurred. Quote request id ${requestId} when reporting it.`);
    }
    const body = JSON.stringify(err.toJSON());
    if (res.headersSent) return void res.destroy();
    // The body may be unread (auth failed first, or it was too large): close rather than drain it.
    if (!req.readableEnded) res.shouldKeepAlive = false;
    res.writeHead(err.status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), [HEADER_REQUEST_ID]: requestId });
    res.end(body);
  }
}

/** What an A/B rule may look at, read lazily (most invocations never ask). A class: no closures per request. */
class IncomingRoute implements RouteRequest {
  private cookies: Record<string, string> | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly params: URLSearchParams | undefined,
  ) {}

  header(n: string): string | undefined {
    const v = this.req.headers[n.toLowerCase()];
    return Array.isArray(v) ? v.join(", ") : v;
  }

  cookie(n: string): string | undefined {
    this.cookies ??= this.req.headers.cookie ? parseCookies(this.req.headers.cookie) : {};
    return this.cookies[n];
  }

  query(n: string): string | undefined {
    return this.params?.get(n) ?? undefined;
  }
}
