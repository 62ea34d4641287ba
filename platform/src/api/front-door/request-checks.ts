/**
 * Checks of what the invoke endpoints take from headers and the query before anything reaches the
 * runner: the client context (Lambda's base64 of a JSON object, at most 3,583 bytes) and a numeric
 * qualifier within the range of version numbers. Each answers an ApiError the pipeline raises in
 * its order (after authorization), never a throw out of a request listener.
 */
import { ApiError } from "../../../../protocol/errors.ts";
import { MAX_VERSION_NUMBER } from "../../../../protocol/api/versions.ts";

/** Lambda's limit on X-Amz-Client-Context, counted on the base64 text as sent. */
export const MAX_CLIENT_CONTEXT_BYTES = 3583;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Undefined when `value` is a valid client context (or absent); otherwise the 400 to answer. */
export function clientContextProblem(value: string | undefined): ApiError | undefined {
  if (value === undefined) return undefined;
  const expected = "X-Amz-Client-Context must be the base64 encoding of a JSON object (UTF-8)";
  if (Buffer.byteLength(value, "latin1") > MAX_CLIENT_CONTEXT_BYTES || value.length > MAX_CLIENT_CONTEXT_BYTES) {
    return new ApiError("InvalidRequestContent", `X-Amz-Client-Context is ${value.length} bytes; it may be at most ${MAX_CLIENT_CONTEXT_BYTES} bytes of base64. Send a smaller context.`);
  }
  if (!BASE64.test(value)) return new ApiError("InvalidRequestContent", `${expected}; the header is not base64.`);
  const bytes = Buffer.from(value, "base64");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new ApiError("InvalidRequestContent", `${expected}; its decoded bytes are not UTF-8.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return new ApiError("InvalidRequestContent", `${expected}; its decoded text is not JSON.`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return new ApiError("InvalidRequestContent", `${expected}; it decodes to JSON that is not an object.`);
  }
  return undefined;
}

const DIGITS = /^[0-9]+$/;

/** Undefined unless `qualifier` is a number out of the range of version numbers. */
export function qualifierRangeProblem(qualifier: string | undefined): ApiError | undefined {
  if (qualifier === undefined || !DIGITS.test(qualifier)) return undefined;
  if (Number(qualifier) <= MAX_VERSION_NUMBER) return undefined;
  return new ApiError("InvalidQualifier", `Qualifier "${qualifier.length > 20 ? qualifier.slice(0, 20) + "…" : qualifier}" is not a version number from 1 to ${MAX_VERSION_NUMBER}; use a published version, an alias, or $LATEST.`);
}

/**
 * The invocation type a request asks for (X-Amz-Invocation-Type, RequestResponse when absent), or
 * the 400 naming the ones this endpoint accepts.
 */
export function invocationTypeOf<T extends string>(header: string | string[] | undefined, accepted: readonly T[]): T | ApiError {
  const type = Array.isArray(header) ? header.join(",") : (header ?? "RequestResponse");
  if ((accepted as readonly string[]).includes(type)) return type as T;
  return new ApiError("ValidationError", `InvocationType "${type.slice(0, 40)}" is not supported; use ${accepted.join(", ")}.`);
}
