/**
 * A function's answer as the HTTP response API Gateway (HTTP API, payload 2.0) makes of it:
 *   - `{ statusCode, headers?, cookies?, body?, isBase64Encoded? }`: that response; cookies become
 *     Set-Cookie headers, a base64 body is decoded, and connection headers (content-length,
 *     transfer-encoding…) are dropped: the gateway sets its own;
 *   - anything else (an object without statusCode, an array, a number, a string): 200 with
 *     content-type application/json and the value as the body (a string as is, the rest as JSON);
 *   - a handler error, or a result that is not a valid response: 500 `{"message":"Internal Server Error"}`;
 *   - platform failures: 504 for a timeout, 429 when throttled, 503 when no instance can run it,
 *     500 for the rest, each with API Gateway's `{"message": ...}` body.
 * Pure: the entry writes what this returns. `failure` says why an answer counts as a failed execution.
 */
import type { InvokeOutcome } from "../../../protocol/invoke.ts";

export interface GatewayAnswer {
  status: number;
  /** Header name → value; Set-Cookie may repeat. */
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** Why this execution failed (a 5xx or a function error), for the trigger's statistics. */
  failure?: string;
}

const JSON_TYPE = "application/json";

function message(status: number, text: string, failure: string): GatewayAnswer {
  return { status, headers: { "content-type": JSON_TYPE }, body: Buffer.from(JSON.stringify({ message: text })), failure };
}

/** The answer to an outcome of the pipeline. */
export function gatewayAnswer(outcome: InvokeOutcome): GatewayAnswer {
  if (outcome.kind === "platform-error") {
    const failure = `${outcome.code}: ${outcome.message}`;
    if (outcome.code === "TimeoutError") return message(504, "Service Unavailable", failure);
    if (outcome.code === "TooManyRequests") return message(429, "Too Many Requests", failure);
    if (outcome.code === "RuntimeUnavailable" || outcome.code === "ServiceUnavailable") return message(503, "Service Unavailable", failure);
    return message(500, "Internal Server Error", failure);
  }
  if (outcome.kind === "function-error") return message(500, "Internal Server Error", functionErrorText(outcome.payload));
  let result: unknown;
  try {
    result = JSON.parse(outcome.payload.toString("utf8"));
  } catch {
    return message(500, "Internal Server Error", "The function's result is not JSON");
  }
  return mapResult(result);
}

/** A handler's result as the HTTP response (see the module header). */
export function mapResult(result: unknown): GatewayAnswer {
  if (result === null || typeof result !== "object" || Array.isArray(result) || !("statusCode" in result)) {
    const body = typeof result === "string" ? result : JSON.stringify(result);
    return { status: 200, headers: { "content-type": JSON_TYPE }, body: Buffer.from(body) };
  }
  const r = result as { statusCode: unknown; headers?: unknown; cookies?: unknown; body?: unknown; isBase64Encoded?: unknown };
  const status = typeof r.statusCode === "string" && /^[0-9]+$/.test(r.statusCode) ? Number(r.statusCode) : r.statusCode;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
    return message(500, "Internal Server Error", `The function returned statusCode ${JSON.stringify(r.statusCode)}, not an HTTP status`);
  }
  const headers: Record<string, string | string[]> = {};
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== "object" || Array.isArray(r.headers)) return message(500, "Internal Server Error", "The function's headers are not an object");
    for (const [k, v] of Object.entries(r.headers)) {
      if (v === undefined || v === null) continue;
      if (typeof v === "object") return message(500, "Internal Server Error", `The function's header "${k}" is not a string`);
      const value = String(v);
      if (!isHeaderSafe(k, value)) return message(500, "Internal Server Error", `The function's header "${k}" has characters a header cannot carry`);
      if (HOP_BY_HOP.has(k.toLowerCase())) continue;
      headers[k.toLowerCase()] = value;
    }
  }
  if (r.cookies !== undefined) {
    if (!Array.isArray(r.cookies) || r.cookies.some((c) => typeof c !== "string" || !isHeaderSafe("set-cookie", c))) {
      return message(500, "Internal Server Error", "The function's cookies are not an array of strings");
    }
    const existing = headers["set-cookie"];
    headers["set-cookie"] = [...(existing === undefined ? [] : [existing as string]), ...(r.cookies as string[])];
  }
  let body: Buffer;
  if (r.body === undefined || r.body === null) body = Buffer.alloc(0);
  else if (typeof r.body === "string") body = r.isBase64Encoded === true ? Buffer.from(r.body, "base64") : Buffer.from(r.body);
  else body = Buffer.from(JSON.stringify(r.body));
  headers["content-type"] ??= JSON_TYPE;
  return { status, headers, body, ...(status >= 500 ? { failure: `The function answered HTTP ${status}` } : {}) };
}

/** Headers about the connection, which the gateway sets itself; a function's are dropped. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "proxy-connection", "te", "trailer"]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// What node:http accepts in a header value: a function's header must never make the answer throw.
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function isHeaderSafe(name: string, value: string): boolean {
  return TOKEN.test(name) && VALUE.test(value);
}

/** "errorType: errorMessage" of a handler error, for lastError. */
function functionErrorText(payload: Buffer): string {
  try {
    const e = JSON.parse(payload.toString("utf8")) as { errorType?: unknown; errorMessage?: unknown };
    return `${typeof e.errorType === "string" ? e.errorType : "Error"}: ${typeof e.errorMessage === "string" ? e.errorMessage : ""}`.slice(0, 1024);
  } catch {
    return "The function failed";
  }
}
