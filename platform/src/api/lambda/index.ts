/**
 * Lambda-compatible invoke: POST /2015-03-31/functions/{FunctionName}/invocations?Qualifier=
 * Follows Lambda's conventions so the stock @aws-sdk/client-lambda InvokeCommand works with
 * `endpoint` pointed here: X-Amz-Function-Error, X-Amz-Executed-Version, x-amzn-ErrorType.
 * Authentication is SigV4 (the auth middleware), with the API key id as the access key id.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../context.ts";
import type { Invoker } from "../../router/invoker.ts";
import { payloadTooLarge } from "../../router/invoker.ts";
import { routeRequestOf } from "../invoke/index.ts";
import { ApiError, type ErrorCode } from "../../../../protocol/errors.ts";
import { MAX_SYNC_PAYLOAD_BYTES } from "../../../../protocol/limits.ts";
import type { PlatformErrorCode } from "../../../../protocol/invoke.ts";
import {
  HEADER_AMZ_EXECUTED_VERSION,
  HEADER_AMZ_FUNCTION_ERROR,
  HEADER_AMZ_INVOCATION_TYPE,
  HEADER_AMZ_REQUEST_ID,
  HEADER_COLD_START,
  HEADER_TRACEPARENT,
} from "../../../../protocol/headers.ts";

export const LAMBDA_PREFIX = "/2015-03-31/";

/** Lambda's error type (x-amzn-ErrorType) and status for each HotSwap error code. */
const LAMBDA_ERRORS: Partial<Record<ErrorCode, [status: number, type: string]>> = {
  FunctionNotFound: [404, "ResourceNotFoundException"],
  VersionNotFound: [404, "ResourceNotFoundException"],
  AliasNotFound: [404, "ResourceNotFoundException"],
  PayloadTooLarge: [413, "RequestTooLargeException"],
  InvalidRequestContent: [400, "InvalidRequestContentException"],
  ValidationError: [400, "InvalidParameterValueException"],
  InvalidQualifier: [400, "InvalidParameterValueException"],
  Unauthorized: [403, "UnrecognizedClientException"],
  InvalidSignature: [403, "InvalidSignatureException"],
  Forbidden: [403, "AccessDeniedException"],
  TooManyRequests: [429, "TooManyRequestsException"],
  RuntimeUnavailable: [502, "InvalidRuntimeException"],
  ServiceUnavailable: [503, "ServiceException"],
  RouteNotFound: [404, "UnknownOperationException"],
};

/** Platform failures that Lambda reports as an unhandled function error (200 + X-Amz-Function-Error). */
const AS_FUNCTION_ERROR: Partial<Record<PlatformErrorCode, string>> = {
  TimeoutError: "Sandbox.Timedout",
  OutOfMemory: "Runtime.OutOfMemory",
  InitError: "Runtime.InitError",
  InstanceCrashed: "Runtime.ExitError",
};

export function lambdaErrorResponse(c: Context, err: ApiError): Response {
  const [status, type] = LAMBDA_ERRORS[err.code] ?? [err.status >= 500 ? 500 : err.status, "ServiceException"];
  return c.json({ Type: status < 500 ? "User" : "Service", message: err.message, code: err.code }, status as 400, {
    "x-amzn-ErrorType": type,
  });
}

/** Accepts `name`, `name:qualifier`, `123456789012:function:name[:q]` and full ARNs. */
export function parseFunctionName(raw: string, qualifier: string | undefined): { name: string; qualifier?: string } {
  let name = raw;
  let q: string | undefined;
  const arn = /^(?:arn:[^:]+:lambda:[^:]*:)?(?:[0-9]{12}:)?function:([^:]+)(?::(.+))?$/.exec(raw);
  if (arn) {
    name = arn[1]!;
    q = arn[2];
  } else if (raw.includes(":")) {
    const i = raw.indexOf(":");
    name = raw.slice(0, i);
    q = raw.slice(i + 1);
  }
  if (q && qualifier && q !== qualifier) {
    throw new ApiError("InvalidQualifier", `The function name carries qualifier "${q}" but Qualifier is "${qualifier}"; give one or make them equal.`);
  }
  return { name, qualifier: qualifier || q || undefined };
}

export function lambdaRoutes(invoker: Invoker) {
  const app = new Hono<AppEnv>();
  app.use(
    "/2015-03-31/functions/:name/invocations",
    bodyLimit({
      maxSize: MAX_SYNC_PAYLOAD_BYTES,
      onError: () => {
        throw payloadTooLarge();
      },
    }),
  );
  app.post("/2015-03-31/functions/:name/invocations", async (c) => {
    const { name, qualifier } = parseFunctionName(decodeURIComponent(c.req.param("name")), c.req.query("Qualifier"));
    const type = c.req.header(HEADER_AMZ_INVOCATION_TYPE) ?? "RequestResponse";
    const requestId = c.get("requestId");
    c.header(HEADER_AMZ_REQUEST_ID, requestId);
    if (type === "DryRun") {
      const spec = invoker.resolve(name, qualifier, routeRequestOf(c));
      c.header(HEADER_AMZ_EXECUTED_VERSION, String(spec.version));
      return c.body(null, 204);
    }
    if (type !== "RequestResponse") {
      throw new ApiError("ValidationError", `InvocationType "${type}" is not supported; use RequestResponse or DryRun.`);
    }
    const payload = Buffer.from(await c.req.arrayBuffer());
    const { spec, outcome } = await invoker.invoke(name, qualifier, payload, {
      requestId,
      traceparent: c.req.header(HEADER_TRACEPARENT),
      clientContext: c.req.header("x-amz-client-context"),
      route: routeRequestOf(c),
    });
    c.header(HEADER_AMZ_EXECUTED_VERSION, String(spec.version));
    if (outcome.coldStart !== undefined) c.header(HEADER_COLD_START, String(outcome.coldStart));
    c.header("content-type", "application/json");
    if (outcome.kind === "success") return c.body(outcome.payload as Uint8Array<ArrayBuffer>, 200);
    if (outcome.kind === "function-error") {
      c.header(HEADER_AMZ_FUNCTION_ERROR, "Unhandled");
      return c.body(outcome.payload as Uint8Array<ArrayBuffer>, 200);
    }
    const asFunctionError = AS_FUNCTION_ERROR[outcome.code];
    if (asFunctionError) {
      c.header(HEADER_AMZ_FUNCTION_ERROR, "Unhandled");
      return c.json({ errorType: asFunctionError, errorMessage: outcome.message, stackTrace: [] }, 200);
    }
    return lambdaErrorResponse(c, new ApiError(outcome.code, outcome.message));
  });
  return app;
}
