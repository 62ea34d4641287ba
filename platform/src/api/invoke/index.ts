/**
 * POST /api/v1/functions/{name}/invoke?qualifier=: HotSwap's invoke endpoint, described here for
 * the OpenAPI document and answered only by the front door (api/front-door), its one
 * implementation. Also owns the endpoint's HTTP answer to an outcome: 200 with the handler's JSON;
 * 500 and x-hotswap-function-error for a handler error; platform failures as JSON errors carrying
 * both `error` and errorType/errorMessage. A streaming handler's answer is written as it comes
 * instead (api/front-door/chunked-answer.ts).
 */
import { errorFields, hotswapErrorBody } from "../../../../protocol/error-document.ts";
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { errorResponses, formatIssues, FunctionNameParam } from "../openapi.ts";
import { AsyncInvokeAccepted } from "../../../../protocol/api/invocations.ts";
import { ApiError } from "../../../../protocol/errors.ts";
import type { FunctionSpec, InvokeOutcome } from "../../../../protocol/invoke.ts";
import { HEADER_COLD_START, HEADER_FUNCTION_ERROR, HEADER_REQUEST_ID, HEADER_START, HEADER_VERSION } from "../../../../protocol/headers.ts";
import type { AppEnv } from "../context.ts";

export const InvokeParams = FunctionNameParam;
export const InvokeQuery = z.object({
  qualifier: z
    .string()
    .max(128)
    .optional()
    .openapi({ description: "A version number, an alias, or $LATEST. Default: alias live if it exists, else $LATEST." }),
});

export const invokeRoute = createRoute({
  method: "post",
  path: "/api/v1/functions/{name}/invoke",
  tags: ["invoke"],
  summary: "Invoke a function synchronously; the body is the event",
  request: { params: InvokeParams, query: InvokeQuery },
  responses: {
    200: { description: "The handler's return value (JSON); for a streaming handler (awslambda.streamifyResponse) its bytes, chunked as it writes them, in its content type, a failure part-way told by the trailers x-hotswap-function-error and x-hotswap-error-message" },
    202: { description: "Queued, with X-Amz-Invocation-Type: Event (asynchronous invocation, 256 KB event limit)", content: { "application/json": { schema: AsyncInvokeAccepted } } },
    ...errorResponses(400, 401, 404, 413, 429, 500, 502, 503, 504),
  },
});

/** Put the endpoint in the OpenAPI document without a Hono handler: the front door answers it. */
export function describeInvoke(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerPath(invokeRoute);
}

/**
 * The 400 the API's schema gives a name or qualifier it refuses, worded exactly as the validators
 * of every other route word theirs (query first, then path, as they run). Undefined when both pass.
 */
export function invokeTargetProblem(name: string, qualifier: string | undefined): ApiError | undefined {
  const q = InvokeQuery.safeParse({ qualifier });
  if (!q.success) return new ApiError("ValidationError", formatIssues(q.error.issues, "query"));
  const p = InvokeParams.safeParse({ name });
  if (!p.success) return new ApiError("ValidationError", formatIssues(p.error.issues, "path"));
  return undefined;
}

export interface InvokeHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The HTTP answer to an invocation outcome. */
export function invokeResponse(requestId: string, spec: FunctionSpec, outcome: InvokeOutcome): InvokeHttpResponse {
  const headers: Record<string, string> = {
    [HEADER_REQUEST_ID]: requestId,
    [HEADER_VERSION]: String(spec.version),
    "content-type": "application/json",
  };
  if (outcome.coldStart !== undefined) headers[HEADER_COLD_START] = String(outcome.coldStart);
  if (outcome.kind === "platform-error") {
    const err = new ApiError(outcome.code, outcome.message);
    // An init error names the runtime's own type (Runtime.ImportModuleError, Runtime.HandlerNotFound...) and keeps its stack.
    const doc = outcome.errorDocument ? errorFields(outcome.errorDocument, outcome.code) : { errorType: outcome.code, errorMessage: outcome.message };
    const body = Buffer.from(JSON.stringify({ ...err.toJSON(), ...doc }));
    return { status: err.status, headers, body };
  }
  // How the instance started, on cold starts only (fresh or stem): a warm answer says so with
  // x-hotswap-cold-start: false, and every warm response stays one header lighter.
  if (outcome.start !== "warm") headers[HEADER_START] = outcome.start;
  if (outcome.kind === "function-error") {
    headers[HEADER_FUNCTION_ERROR] = "Unhandled";
    return { status: 500, headers, body: hotswapErrorBody(outcome.payload) };
  }
  return { status: 200, headers, body: outcome.payload };
}
