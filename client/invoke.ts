/**
 * Invocation: HotSwap's `POST /api/v1/functions/{name}/invoke?qualifier=` and the Lambda-compatible
 * `POST /2015-03-31/functions/{name}/invocations?Qualifier=` (Bearer works there too).
 * A handler's error is an answer of the function, so it is `ok: true` with `functionError` set,
 * as Lambda's Invoke reports it; platform failures (FunctionNotFound, TooManyRequests,
 * TimeoutError, ...) are `ok: false` with the API's code.
 */
import {
  HEADER_AMZ_EXECUTED_VERSION,
  HEADER_AMZ_FUNCTION_ERROR,
  HEADER_AMZ_INVOCATION_TYPE,
  HEADER_AMZ_LOG_RESULT,
  HEADER_AMZ_LOG_TYPE,
  HEADER_AMZ_REQUEST_ID,
  HEADER_COLD_START,
  HEADER_FUNCTION_ERROR,
  HEADER_LOG_RESULT,
  HEADER_LOG_TYPE,
  HEADER_START,
  HEADER_VERSION,
} from "../protocol/headers.ts";
import { lambdaInvokePath } from "../protocol/lambda.ts";
import type { ApiResult } from "./result.ts";
import { failureOf, type Call, type CallOptions, type RawAnswer, type Transport } from "./transport.ts";

export interface InvokeOptions extends CallOptions {
  /** A version number, an alias, or `$LATEST`. Default: alias `live` if it exists, else `$LATEST`. */
  qualifier?: string | number;
  /** Further query parameters: an alias's A/B rule may key on one. */
  query?: Record<string, string>;
  /** Send these bytes as the event instead of `JSON.stringify(event)`. */
  body?: string | Uint8Array;
  /** Content type of `body`. @default application/json */
  contentType?: string;
  /** `Tail`: answer the last 4 KB of the invocation's log too (`logResult`). */
  logType?: "Tail" | "None";
}

/** What a function answered. */
export interface Invocation {
  /** 200, or 500 when the handler threw (then `functionError` is set). */
  status: number;
  /** The answer parsed as JSON; undefined when it is empty or not JSON. */
  payload: unknown;
  /** The answer as text. */
  body: string;
  /** `Unhandled` when the handler threw; the payload is then its `{ errorType, errorMessage }`. */
  functionError?: string;
  /** The version that ran (x-hotswap-version). */
  version?: number;
  /** Whether an instance was started for this call (x-hotswap-cold-start). */
  coldStart?: boolean;
  /** How a cold instance started, `stem` or `fresh` (x-hotswap-start; absent when warm). */
  start?: string;
  /** With logType Tail: the end of the invocation's log (x-hotswap-log-result, decoded). */
  logResult?: string;
  requestId?: string;
  headers: Headers;
}

/** What the Lambda-compatible path answered, in Lambda's terms. */
export interface LambdaInvocation {
  /** 200 (RequestResponse) or 204 (DryRun). */
  status: number;
  payload: unknown;
  body: string;
  /** X-Amz-Function-Error: `Unhandled` when the handler threw or the instance failed (timeout, out of memory). */
  functionError?: string;
  /** X-Amz-Executed-Version. */
  executedVersion?: string;
  /** With logType Tail: the end of the invocation's log (X-Amz-Log-Result, decoded). */
  logResult?: string;
  requestId?: string;
  headers: Headers;
}

export interface LambdaInvokeOptions extends CallOptions {
  qualifier?: string | number;
  /** @default RequestResponse */
  invocationType?: "RequestResponse" | "DryRun";
  /** X-Amz-Client-Context (base64 JSON). */
  clientContext?: string;
  /** X-Amz-Log-Type: `Tail` answers the last 4 KB of the invocation's log too (`logResult`). */
  logType?: "Tail" | "None";
}

function eventBody(event: unknown, opts: InvokeOptions): Call["body"] {
  if (opts.body !== undefined) return { bytes: opts.body, contentType: opts.contentType ?? "application/json" };
  return event === undefined ? undefined : { bytes: JSON.stringify(event), contentType: opts.contentType ?? "application/json" };
}

/** Base64 to UTF-8 text, without Buffer (this module also runs where only web APIs exist). */
function decodeBase64(b64: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
}

function header(a: RawAnswer, name: string): string | undefined {
  return a.headers.get(name) ?? undefined;
}

/** The HTTP call of an invoke, for callers that want the raw answer (`transport.send`), such as load generators. */
export function invokeCall(name: string, event?: unknown, opts: InvokeOptions = {}): Call {
  const qualifier = opts.qualifier === undefined ? undefined : String(opts.qualifier);
  return { method: "POST", path: `/api/v1/functions/${encodeURIComponent(name)}/invoke`, query: { ...opts.query, ...(qualifier !== undefined ? { qualifier } : {}) }, body: eventBody(event, opts) };
}

export function invokeEndpoint(t: Transport) {
  /** POST /api/v1/functions/{name}/invoke: the event is the body (JSON of `event`, or `opts.body`). */
  return async (name: string, event?: unknown, opts: InvokeOptions = {}): Promise<ApiResult<Invocation>> => {
    const sent = await t.send(invokeCall(name, event, opts), opts.logType === undefined ? opts : { ...opts, headers: { ...opts.headers, [HEADER_LOG_TYPE]: opts.logType } });
    if (!sent.ok) return sent;
    const a = sent.answer;
    const functionError = header(a, HEADER_FUNCTION_ERROR);
    if (a.status !== 200 && functionError === undefined) return { ok: false, error: failureOf(a) };
    const version = header(a, HEADER_VERSION);
    const coldStart = header(a, HEADER_COLD_START);
    const value: Invocation = { status: a.status, payload: a.json, body: a.text, headers: a.headers };
    if (functionError !== undefined) value.functionError = functionError;
    if (version !== undefined) value.version = Number(version);
    if (coldStart !== undefined) value.coldStart = coldStart === "true";
    const start = header(a, HEADER_START);
    if (start !== undefined) value.start = start;
    const logResult = header(a, HEADER_LOG_RESULT);
    if (logResult !== undefined) value.logResult = decodeBase64(logResult);
    if (a.requestId !== undefined) value.requestId = a.requestId;
    return { ok: true, status: a.status, value, requestId: a.requestId };
  };
}

export function lambdaEndpoints(t: Transport) {
  return {
    /**
     * POST /2015-03-31/functions/{name}/invocations (Lambda's Invoke). `name` may carry a qualifier
     * (`name:live`) or be an ARN. Errors come in Lambda's format; the failure's code is HotSwap's
     * and `details.errorType` Lambda's (x-amzn-ErrorType).
     */
    invoke: async (name: string, payload?: unknown, opts: LambdaInvokeOptions = {}): Promise<ApiResult<LambdaInvocation>> => {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.invocationType !== undefined) headers[HEADER_AMZ_INVOCATION_TYPE] = opts.invocationType;
      if (opts.clientContext !== undefined) headers["x-amz-client-context"] = opts.clientContext;
      if (opts.logType !== undefined) headers[HEADER_AMZ_LOG_TYPE] = opts.logType;
      const call: Call = {
        method: "POST",
        path: lambdaInvokePath(name),
        query: { Qualifier: opts.qualifier === undefined ? undefined : String(opts.qualifier) },
        body: payload === undefined ? undefined : { bytes: JSON.stringify(payload), contentType: "application/json" },
      };
      const sent = await t.send(call, { ...opts, headers });
      if (!sent.ok) return sent;
      const a = sent.answer;
      const requestId = header(a, HEADER_AMZ_REQUEST_ID) ?? a.requestId;
      if (a.status !== 200 && a.status !== 204) {
        const body = (a.json ?? {}) as { code?: unknown; message?: unknown; Type?: unknown };
        const errorType = header(a, "x-amzn-errortype");
        return {
          ok: false,
          error: {
            status: a.status,
            code: typeof body.code === "string" ? body.code : (errorType ?? `HTTP${a.status}`),
            message: typeof body.message === "string" ? body.message : a.text.slice(0, 500) || a.statusText,
            ...(requestId !== undefined ? { requestId } : {}),
            details: { ...(errorType !== undefined ? { errorType } : {}), ...(typeof body.Type === "string" ? { type: body.Type } : {}) },
          },
        };
      }
      const value: LambdaInvocation = { status: a.status, payload: a.json, body: a.text, headers: a.headers };
      const functionError = header(a, HEADER_AMZ_FUNCTION_ERROR);
      if (functionError !== undefined) value.functionError = functionError;
      const executedVersion = header(a, HEADER_AMZ_EXECUTED_VERSION);
      if (executedVersion !== undefined) value.executedVersion = executedVersion;
      const logResult = header(a, HEADER_AMZ_LOG_RESULT);
      if (logResult !== undefined) value.logResult = decodeBase64(logResult);
      if (requestId !== undefined) value.requestId = requestId;
      return { ok: true, status: a.status, value, requestId };
    },
  };
}
