/**
 * Lambda's conventions for the Lambda-compatible invoke, POST /2015-03-31/functions/{FunctionName}/invocations
 * ?Qualifier=, so the stock @aws-sdk/client-lambda InvokeCommand works with `endpoint` pointed here:
 * how a FunctionName names a function and qualifier, and how an outcome is answered
 * (X-Amz-Function-Error, X-Amz-Executed-Version, x-amzn-ErrorType). The front door serves the path
 * (api/front-door/lambda-endpoint.ts); authentication is SigV4 or Bearer.
 */
import { ApiError } from "../../../../protocol/errors.ts";
import type { FunctionSpec, InvokeOutcome, PlatformErrorCode } from "../../../../protocol/invoke.ts";
import { HEADER_AMZ_EXECUTED_VERSION, HEADER_AMZ_FUNCTION_ERROR, HEADER_AMZ_REQUEST_ID, HEADER_COLD_START } from "../../../../protocol/headers.ts";
import { lambdaError } from "../envelope.ts";

/** Platform failures that Lambda reports as an unhandled function error (200 + X-Amz-Function-Error). */
export const AS_FUNCTION_ERROR: Partial<Record<PlatformErrorCode, string>> = {
  TimeoutError: "Sandbox.Timedout",
  OutOfMemory: "Runtime.OutOfMemory",
  InitError: "Runtime.InitError",
  InstanceCrashed: "Runtime.ExitError",
};

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

export interface LambdaHttpResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
}

/** Lambda's answer to an outcome (or to a dry run, when `outcome` is undefined). */
export function lambdaResponse(requestId: string, spec: FunctionSpec, outcome: InvokeOutcome | undefined): LambdaHttpResponse {
  const headers: Record<string, string> = { [HEADER_AMZ_REQUEST_ID]: requestId, [HEADER_AMZ_EXECUTED_VERSION]: String(spec.version) };
  if (outcome === undefined) return { status: 204, headers };
  if (outcome.coldStart !== undefined) headers[HEADER_COLD_START] = String(outcome.coldStart);
  headers["content-type"] = "application/json";
  if (outcome.kind === "success") {
    // A streaming handler invoked plainly: its bytes, with the content type it set.
    if (outcome.streamed) headers["content-type"] = outcome.streamed.contentType;
    return { status: 200, headers, body: outcome.payload };
  }
  if (outcome.kind === "function-error") {
    headers[HEADER_AMZ_FUNCTION_ERROR] = "Unhandled";
    return { status: 200, headers, body: outcome.payload };
  }
  const asFunctionError = AS_FUNCTION_ERROR[outcome.code];
  if (asFunctionError) {
    headers[HEADER_AMZ_FUNCTION_ERROR] = "Unhandled";
    // An init error is answered with the document the runtime reported (Runtime.ImportModuleError, a TypeError thrown at init...).
    if (outcome.errorDocument) return { status: 200, headers, body: outcome.errorDocument };
    return { status: 200, headers, body: JSON.stringify({ errorType: asFunctionError, errorMessage: outcome.message, stackTrace: [] }) };
  }
  const err = lambdaError(new ApiError(outcome.code, outcome.message));
  headers["x-amzn-errortype"] = err.type;
  return { status: err.status, headers, body: err.body };
}
