/**
 * POST /api/v1/functions/{name}/invoke?qualifier=: HotSwap's invoke endpoint.
 * 200 with the handler's JSON; 500 + x-hotswap-function-error for a handler error; platform
 * failures (timeout, no capacity, crash...) as JSON errors carrying both `error` and errorType/errorMessage.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { readBody } from "../raw-body.ts";
import { getCookie } from "hono/cookie";
import type { Context } from "hono";
import { createRouter, errorResponses } from "../openapi.ts";
import { FunctionName } from "../../../../protocol/api/functions.ts";
import type { Invoker } from "../../router/invoker.ts";
import type { RouteRequest } from "../../router/routing-table.ts";
import { payloadTooLarge } from "../../router/invoker.ts";
import { ApiError } from "../../../../protocol/errors.ts";
import type { FunctionSpec, InvokeOutcome } from "../../../../protocol/invoke.ts";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../../protocol/limits.ts";
import {
  HEADER_COLD_START,
  HEADER_FUNCTION_ERROR,
  HEADER_REQUEST_ID,
  HEADER_START,
  HEADER_TRACEPARENT,
  HEADER_VERSION,
} from "../../../../protocol/headers.ts";

const invoke = createRoute({
  method: "post",
  path: "/api/v1/functions/{name}/invoke",
  tags: ["invoke"],
  summary: "Invoke a function synchronously; the body is the event",
  request: {
    params: z.object({ name: FunctionName.openapi({ param: { name: "name", in: "path" } }) }),
    query: z.object({
      qualifier: z
        .string()
        .max(128)
        .optional()
        .openapi({ description: "A version number, an alias, or $LATEST. Default: alias live if it exists, else $LATEST." }),
    }),
  },
  responses: {
    200: { description: "The handler's return value (JSON)" },
    ...errorResponses(400, 401, 404, 413, 429, 500, 502, 503, 504),
  },
});

/** The request's headers, cookies and query, read lazily by an alias's A/B rule. */
export function routeRequestOf(c: Context): RouteRequest {
  return { header: (n) => c.req.header(n), cookie: (n) => getCookie(c, n), query: (n) => c.req.query(n) };
}

export interface InvokeHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The HTTP answer to an invocation outcome: 200 with the handler's JSON; 500 and
 * x-hotswap-function-error for a handler error; platform failures as JSON errors carrying both
 * `error` and errorType/errorMessage. Shared by the Hono route and the fast path.
 */
export function invokeResponse(requestId: string, spec: FunctionSpec, outcome: InvokeOutcome): InvokeHttpResponse {
  const headers: Record<string, string> = {
    [HEADER_REQUEST_ID]: requestId,
    [HEADER_VERSION]: String(spec.version),
    "content-type": "application/json",
  };
  if (outcome.coldStart !== undefined) headers[HEADER_COLD_START] = String(outcome.coldStart);
  if (outcome.kind === "platform-error") {
    const err = new ApiError(outcome.code, outcome.message);
    const body = Buffer.from(JSON.stringify({ ...err.toJSON(), errorType: outcome.code, errorMessage: outcome.message }));
    return { status: err.status, headers, body };
  }
  // How the instance started, on cold starts only (fresh or stem): a warm answer says so with
  // x-hotswap-cold-start: false, and every warm response stays one header lighter.
  if (outcome.start !== "warm") headers[HEADER_START] = outcome.start;
  if (outcome.kind === "function-error") {
    headers[HEADER_FUNCTION_ERROR] = "Unhandled";
    return { status: 500, headers, body: outcome.payload };
  }
  return { status: 200, headers, body: outcome.payload };
}

export function invokeRoutes(invoker: Invoker) {
  const app = createRouter();
  app.openapi(invoke, async (c) => {
    const { name } = c.req.valid("param");
    const { qualifier } = c.req.valid("query");
    const requestId = c.get("requestId");
    const payload = await readBody(c, MAX_SYNC_PAYLOAD_BYTES, payloadTooLarge);
    const { spec, outcome } = await invoker.invoke(name, qualifier, payload, {
      requestId,
      traceparent: c.req.header(HEADER_TRACEPARENT),
      route: routeRequestOf(c),
    });
    const r = invokeResponse(requestId, spec, outcome);
    for (const [k, v] of Object.entries(r.headers)) c.header(k, v);
    return c.body(r.body as Uint8Array<ArrayBuffer>, r.status as 200);
  });
  return app;
}
