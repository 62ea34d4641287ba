/**
 * What every HTTP answer carries, in one place for the front door and the Hono app: the request id
 * (the caller's `x-request-id` when well-formed, else a fresh UUID), and on failure the error body,
 * HotSwap's `{ "error": { "code", "message" } }` or, on the Lambda-compatible path, Lambda's
 * `{ Type, message, code }` with `x-amzn-ErrorType`. Unknown errors are logged with the request id
 * and answered with a generic 500 that leaks nothing.
 */
import { randomUUID } from "node:crypto";
import { HTTPException } from "hono/http-exception";
import { ApiError, type ErrorCode } from "../../../protocol/errors.ts";

export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

/** The request id for a request: the caller's when well-formed, else a fresh one. */
export function requestIdFrom(given: string | string[] | undefined): string {
  return typeof given === "string" && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
}

export interface ErrorLog {
  error(obj: object, msg: string): void;
}

/** Any thrown value as the ApiError to answer with; what is not an API error is logged, then hidden. */
export function apiErrorOf(e: unknown, requestId: string, log: ErrorLog, where: { method: string; path: string; traceId?: string }): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof HTTPException) return fromHttpException(e);
  log.error({ err: e, requestId, ...where }, "unhandled error");
  return new ApiError("InternalError", `An internal error occurred. Quote request id ${requestId} when reporting it.`);
}

/** HotSwap's error document. */
export function errorBody(err: ApiError): string {
  return JSON.stringify(err.toJSON());
}

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

export interface LambdaErrorAnswer {
  status: number;
  /** The x-amzn-ErrorType header. */
  type: string;
  body: string;
}

/** An error in Lambda's conventions, as the AWS SDKs parse it. */
export function lambdaError(err: ApiError): LambdaErrorAnswer {
  const [status, type] = LAMBDA_ERRORS[err.code] ?? [err.status >= 500 ? 500 : err.status, "ServiceException"];
  return { status, type, body: JSON.stringify({ Type: status < 500 ? "User" : "Service", message: err.message, code: err.code }) };
}

function fromHttpException(e: HTTPException): ApiError {
  switch (e.status) {
    case 400:
      return new ApiError("InvalidRequestContent", `The request body is not valid JSON (${e.message}). Send a JSON document with Content-Type: application/json.`);
    case 413:
      return new ApiError("PayloadTooLarge", "The request body is too large.");
    case 415:
      return new ApiError("UnsupportedMediaType", "Unsupported Content-Type. Send application/json (or application/zip where a zip is expected).");
    case 401:
      return new ApiError("Unauthorized", e.message || "Authentication required.");
    default:
      return new ApiError(e.status >= 500 ? "InternalError" : "ValidationError", e.message || "Request failed.", undefined, e.status);
  }
}
