/**
 * What every API client call returns: `{ ok: true, status, value }` or `{ ok: false, error }`.
 * Expected failures across the wire (404, 409, a validation error, the API unreachable) are values,
 * never exceptions, so callers branch on `ok` and on the error's stable `code`.
 *
 * No imports at run time: this module is also serialized into Pulumi stacks (see plain.ts).
 */
import type { ErrorCode } from "../protocol/errors.ts";

/**
 * Codes the client itself produces, when the API gave no usable answer:
 * - `Unreachable`: the request never got an HTTP answer (connection refused, DNS, reset).
 * - `RequestTimeout`: no answer within the call's timeout.
 * - `Aborted`: the caller's AbortSignal fired.
 * - `InvalidResponse`: an answer came, but not the document the API's schema describes.
 */
export type ClientErrorCode = "Unreachable" | "RequestTimeout" | "Aborted" | "InvalidResponse";

export interface ApiFailure {
  /** The HTTP status; 0 when no answer came (Unreachable, RequestTimeout, Aborted). */
  status: number;
  /** The API's stable error code (`FunctionNotFound`...), a ClientErrorCode, or `HTTP<status>` for an answer without one. */
  code: ErrorCode | ClientErrorCode | (string & {});
  /** What went wrong and what to do, as the API (or the client) wrote it. */
  message: string;
  /** The x-request-id of the answer, to quote when reporting a problem. */
  requestId?: string;
  /** Further fields of the API's error object (e.g. UnknownRuntime's valid runtimes). */
  details?: Record<string, unknown>;
}

export type ApiResult<T> = { ok: true; status: number; value: T; requestId?: string } | { ok: false; error: ApiFailure };

/** The value of a successful result, or a thrown Error naming the action and quoting the API's code and message. For tests and scripts. */
export function unwrap<T>(result: ApiResult<T>, action = "API call"): T {
  if (result.ok) return result.value;
  throw failureError(action, result.error);
}

/** An Error for a failed call: `<action> failed (<code>, HTTP <status>): <message>`. */
export function failureError(action: string, error: ApiFailure): Error {
  const status = error.status > 0 ? `, HTTP ${error.status}` : "";
  return new Error(`${action} failed (${error.code}${status}): ${error.message}`);
}
