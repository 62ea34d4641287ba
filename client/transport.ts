/**
 * One HTTP exchange with the HotSwap API: base URL, Bearer API key, per-call timeout and abort,
 * JSON or zip bodies, and every way it can go wrong turned into an ApiFailure value: the API's own
 * `{ "error": { code, message } }`, an answer without one (`HTTP<status>`), no answer at all
 * (`Unreachable`, `RequestTimeout`, `Aborted`), or an answer the response check refuses
 * (`InvalidResponse`). Which schema checks an answer is the caller's choice (`validate`), so this
 * module holds no zod and stays serializable by Pulumi (see plain.ts).
 */
import type { ApiFailure, ApiResult } from "./result.ts";
import type { ResponseKey, ResponseTypes } from "./responses.ts";

export interface ClientOptions {
  /** The control plane's base URL, e.g. `http://127.0.0.1:8080` (a trailing slash is ignored). */
  baseUrl: string;
  /** An API key `hs_<id>_<secret>`, sent as `Authorization: Bearer`. Unset: no Authorization header. */
  apiKey?: string;
  /** A JWT, sent as `Authorization: Bearer` when no apiKey is given (servers with HOTSWAP_JWT_* set). */
  token?: string;
  /** The fetch to use (tests, proxies, instrumentation). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** How long a call may wait for its answer, unless the call says otherwise. @default 30000 */
  timeoutMs?: number;
  /** Headers sent with every call. */
  headers?: Record<string, string>;
  /**
   * Checks an answer against the named schema: returns a sentence saying what is wrong, or undefined.
   * createApiClient passes the zod schemas of protocol/api; unset, answers are trusted as they are.
   */
  validate?: (key: ResponseKey, value: unknown) => string | undefined;
}

/** Per-call options, the last argument of every method. */
export interface CallOptions {
  /** Overrides the client's timeoutMs for this call. */
  timeoutMs?: number;
  /** Abandons the call when it fires: the result is `{ ok: false, error: { code: "Aborted" } }`. */
  signal?: AbortSignal;
  /** Extra headers for this call (e.g. `x-request-id`). */
  headers?: Record<string, string>;
}

/** What a method asks of the transport. */
export interface Call {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: Record<string, string | number | undefined>;
  /** A JSON document, or raw bytes with their content type. */
  body?: { json: unknown } | { bytes: Uint8Array | string; contentType: string };
}

/** An HTTP answer, read in full. */
export interface RawAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  json: unknown;
  requestId?: string;
}

export interface Transport {
  readonly baseUrl: string;
  /** Sends the call; the answer whatever its status, or a failure when none came. */
  send(call: Call, opts?: CallOptions): Promise<{ ok: true; answer: RawAnswer } | { ok: false; error: ApiFailure }>;
  /**
   * Sends the call and expects a JSON answer with a 2xx status (or one of `alsoOk`), checked
   * against the `response` schema; `null` expects no body (204).
   */
  request<K extends ResponseKey>(call: Call, response: K, opts?: CallOptions & { alsoOk?: number[] }): Promise<ApiResult<ResponseTypes[K]>>;
  request(call: Call, response: null, opts?: CallOptions): Promise<ApiResult<undefined>>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

export function createTransport(options: ClientOptions): Transport {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");

  async function send(call: Call, opts: CallOptions = {}): Promise<{ ok: true; answer: RawAnswer } | { ok: false; error: ApiFailure }> {
    let url = baseUrl + call.path;
    const params = Object.entries(call.query ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined);
    if (params.length > 0) url += "?" + new URLSearchParams(params.map(([k, v]): [string, string] => [k, String(v)])).toString();
    const headers: Record<string, string> = { accept: "application/json", ...options.headers, ...opts.headers };
    const bearer = options.apiKey ?? options.token;
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    let body: string | Uint8Array | undefined;
    if (call.body && "json" in call.body) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(call.body.json);
    } else if (call.body) {
      headers["content-type"] = call.body.contentType;
      body = call.body.bytes;
    }
    const timeoutMs = opts.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const doFetch = options.fetch ?? fetch;
    try {
      const res = await doFetch(url, { method: call.method, headers, body: body as RequestInit["body"], signal });
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { ok: true, answer: { status: res.status, statusText: res.statusText, headers: res.headers, text, json, requestId: res.headers.get("x-request-id") ?? undefined } };
    } catch (e) {
      if (opts.signal?.aborted) {
        return { ok: false, error: { status: 0, code: "Aborted", message: `${call.method} ${call.path} was aborted by the caller.` } };
      }
      if (timeout.aborted) {
        return {
          ok: false,
          error: {
            status: 0,
            code: "RequestTimeout",
            message: `the HotSwap API at ${options.baseUrl} did not answer ${call.method} ${call.path} within ${timeoutMs} ms. Check that the control plane is running, or allow more time (timeoutMs).`,
          },
        };
      }
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const cause = err.cause?.code ?? err.cause?.message ?? err.message;
      return {
        ok: false,
        error: {
          status: 0,
          code: "Unreachable",
          message: `cannot reach the HotSwap API at ${options.baseUrl} (${cause}). Check the endpoint and that the control plane is running.`,
        },
      };
    }
  }

  async function request(call: Call, response: ResponseKey | null, opts: CallOptions & { alsoOk?: number[] } = {}): Promise<ApiResult<unknown>> {
    const sent = await send(call, opts);
    if (!sent.ok) return sent;
    const a = sent.answer;
    if ((a.status < 200 || a.status > 299) && !opts.alsoOk?.includes(a.status)) return { ok: false, error: failureOf(a) };
    if (response === null) return { ok: true, status: a.status, value: undefined, requestId: a.requestId };
    const problem = a.json === undefined ? "the body is not JSON" : options.validate?.(response, a.json);
    if (problem !== undefined) {
      return {
        ok: false,
        error: {
          status: a.status,
          code: "InvalidResponse",
          message: `the answer to ${call.method} ${call.path} is not a ${response} document: ${problem}. Is ${options.baseUrl} a HotSwap API of the same version as this client?`,
          requestId: a.requestId,
        },
      };
    }
    return { ok: true, status: a.status, value: a.json, requestId: a.requestId };
  }

  return { baseUrl, send, request: request as Transport["request"] };
}

/** The failure an error answer describes: the API's `{ error: { code, message, ...details } }`, else `HTTP<status>` and the body's start. */
export function failureOf(a: RawAnswer): ApiFailure {
  const error = (a.json as { error?: Record<string, unknown> } | undefined)?.error;
  const failure: ApiFailure = {
    status: a.status,
    code: typeof error?.code === "string" ? error.code : `HTTP${a.status}`,
    message: typeof error?.message === "string" ? error.message : a.text.slice(0, 500) || a.statusText || `HTTP ${a.status}`,
  };
  if (a.requestId !== undefined) failure.requestId = a.requestId;
  if (error && typeof error === "object") {
    const { code: _code, message: _message, ...details } = error;
    if (Object.keys(details).length > 0) failure.details = details;
  }
  return failure;
}
