/**
 * The event an Http trigger's function receives: API Gateway's HTTP API payload format 2.0, built
 * from the request exactly as API Gateway builds it (lower-cased headers with repeats joined by
 * commas and the Cookie header moved to `cookies`, query parameters with repeats joined by commas,
 * the route key, the request context with its `dd/MMM/yyyy:HH:mm:ss +0000` time, and a body that is
 * base64 unless its content type is text). Pure: the entry passes what it read.
 */

export interface GatewayRequest {
  method: string;
  /** The path after the gateway's prefix, percent-encoding intact. */
  rawPath: string;
  /** Without "?"; "" when there is none. */
  rawQuery: string;
  /** node:http's rawHeaders: name, value, name, value… */
  rawHeaders: string[];
  body: Buffer | undefined;
  sourceIp: string;
  /** "HTTP/1.1". */
  protocol: string;
  requestId: string;
  now: Date;
  routeKey: string;
  pathParameters: Record<string, string>;
  /** The verified JWT's claims, on `auth: "jwt"` routes. */
  jwtClaims?: Record<string, unknown>;
}

/** What API Gateway's JWT authorizer hands the function: the claims as strings, and the token's scopes. */
export interface JwtAuthorizer {
  jwt: { claims: Record<string, string>; scopes: string[] | null };
}

/** API Gateway v2's event (the fields the gateway sets; `stageVariables` is never set). */
export interface GatewayEventV2 {
  version: "2.0";
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  pathParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: string;
    stage: "$default";
    time: string;
    timeEpoch: number;
    authorizer?: JwtAuthorizer;
  };
  body?: string;
  isBase64Encoded: boolean;
}

/** The account id and API id the events carry (there is one gateway per control plane). */
export const GATEWAY_ACCOUNT_ID = "000000000000";
export const GATEWAY_API_ID = "hotswap";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** API Gateway's request time: `07/Dec/2026:12:03:36 +0000`. */
export function gatewayTime(d: Date): string {
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** True when a body of this content type travels as text (API Gateway base64-encodes the rest). */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const t = contentType.split(";")[0]!.trim().toLowerCase();
  return (
    t.startsWith("text/") ||
    t === "application/json" ||
    t.endsWith("+json") ||
    t === "application/xml" ||
    t.endsWith("+xml") ||
    t === "application/javascript" ||
    t === "application/x-www-form-urlencoded" ||
    t === "application/graphql"
  );
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The body as API Gateway passes it: text as is (when it is valid UTF-8), anything else base64. */
function encodeBody(body: Buffer, contentType: string | undefined): { body: string; isBase64Encoded: boolean } {
  if (isTextContentType(contentType)) {
    try {
      return { body: utf8.decode(body), isBase64Encoded: false };
    } catch {
      // not UTF-8 after all: send the bytes
    }
  }
  return { body: body.toString("base64"), isBase64Encoded: true };
}

/** Query parameters decoded, repeats joined with commas; undefined when there are none. */
function queryParameters(rawQuery: string): Record<string, string> | undefined {
  if (rawQuery === "") return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQuery)) out[k] = k in out ? `${out[k]},${v}` : v;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The JWT authorizer context as API Gateway builds it: every claim as a string (arrays as
 * `[a b]`, objects as JSON), scopes from the space-separated `scope` claim (or `scp`), else null.
 */
export function jwtAuthorizer(claims: Record<string, unknown>): JwtAuthorizer {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) {
    out[k] = typeof v === "string" ? v : Array.isArray(v) ? `[${v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(" ")}]` : typeof v === "object" ? JSON.stringify(v) : String(v);
  }
  const raw = claims.scope ?? claims.scp;
  const scopes = typeof raw === "string" ? raw.split(" ").filter((s) => s !== "") : Array.isArray(raw) ? raw.map(String) : null;
  return { jwt: { claims: out, scopes } };
}

/** Build the payload format 2.0 event of a request. */
export function buildGatewayEvent(r: GatewayRequest): GatewayEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < r.rawHeaders.length; i += 2) {
    const name = r.rawHeaders[i]!.toLowerCase();
    const value = r.rawHeaders[i + 1]!;
    if (name === "cookie") {
      for (const c of value.split(";")) if (c.trim() !== "") cookies.push(c.trim());
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const domainName = headers["host"] ?? "localhost";
  const query = queryParameters(r.rawQuery);
  const event: GatewayEventV2 = {
    version: "2.0",
    routeKey: r.routeKey,
    rawPath: r.rawPath,
    rawQueryString: r.rawQuery,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    ...(Object.keys(r.pathParameters).length > 0 ? { pathParameters: r.pathParameters } : {}),
    requestContext: {
      accountId: GATEWAY_ACCOUNT_ID,
      apiId: GATEWAY_API_ID,
      domainName,
      domainPrefix: domainName.split(/[.:]/)[0]!,
      http: { method: r.method, path: r.rawPath, protocol: r.protocol, sourceIp: r.sourceIp, userAgent: headers["user-agent"] ?? "" },
      requestId: r.requestId,
      routeKey: r.routeKey,
      stage: "$default",
      time: gatewayTime(r.now),
      timeEpoch: r.now.getTime(),
      ...(r.jwtClaims ? { authorizer: jwtAuthorizer(r.jwtClaims) } : {}),
    },
    isBase64Encoded: false,
  };
  if (r.body !== undefined && r.body.length > 0) Object.assign(event, encodeBody(r.body, headers["content-type"]));
  return event;
}
