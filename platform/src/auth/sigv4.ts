/**
 * AWS Signature Version 4 verification (Authorization-header form, HMAC-SHA256) for the
 * Lambda-compatible invoke path, so that the stock `@aws-sdk/client-lambda` works against
 * HotSwap. The canonical request follows AWS's rules for non-S3 services, matching
 * `@smithy/signature-v4`: dot segments removed and the already-encoded path encoded again,
 * query pairs decoded, re-encoded (RFC 3986) and sorted, signed header values trimmed with
 * inner whitespace collapsed, and the payload hash from `x-amz-content-sha256` or the body.
 *
 * Presigned (query-string) auth, SigV4a and unsigned or streaming payloads are not supported.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { ApiError } from "../../../protocol/errors.ts";
import { keyIdFromAccessKeyId, parseApiKey } from "./api-key.ts";

export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";
/** The only service accepted in the credential scope. */
export const SIGV4_SERVICE = "lambda";
/** Largest accepted distance between the request time and the server clock, as AWS allows. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const SCOPE_TERMINATOR = "aws4_request";
const HEADER_AMZ_DATE = "x-amz-date";
const HEADER_CONTENT_SHA256 = "x-amz-content-sha256";
const HOW_TO_SIGN =
  'Sign with AWS SigV4 using access key id "hs_<id>" and secret access key "<secret>" of an API key hs_<id>_<secret>, service "lambda"';

/** Read access to request headers (a WHATWG `Headers` fits). */
export interface HeaderReader {
  get(name: string): string | null;
}

/** The request as received. `path` and a string `query` must be raw (percent-encoding intact). */
export interface SigV4Request {
  method: string;
  /** Raw path, e.g. `/2015-03-31/functions/my-fn/invocations`. */
  path: string;
  /** Raw query string (without `?`), preferred; or already-decoded parameters. */
  query: URLSearchParams | string;
  headers: HeaderReader;
  /**
   * The body, or a function that reads it. A function is called only once the header, the
   * timestamp and the access key have checked out, so unauthenticated callers cannot make
   * the server buffer large bodies.
   */
  body: Uint8Array | (() => Promise<Uint8Array>);
}

export interface SigV4Result {
  accessKeyId: string;
  region: string;
}

/** Returns the secret access key for an access key id, or null when there is no such active key. */
export type SigV4SecretLookup = (accessKeyId: string) => Promise<string | null>;

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
  signedHeaders: string[];
  signature: string;
}

/** True when an Authorization header value uses the SigV4 scheme. */
export function isSigV4Authorization(value: string | null | undefined): boolean {
  return !!value && value.trimStart().startsWith(SIGV4_ALGORITHM + " ");
}

/**
 * Verify a SigV4-signed request. Returns the access key id on success; throws `ApiError`
 * `Unauthorized` (401) for missing, malformed or unknown credentials and `InvalidSignature`
 * (403) when the signature, scope, body hash or timestamp does not check out.
 */
export async function verifySigV4(
  req: SigV4Request,
  getSecret: SigV4SecretLookup,
  now: number = Date.now(),
): Promise<SigV4Result> {
  const auth = parseAuthorization(req.headers.get("authorization"));
  const signedSet = new Set(auth.signedHeaders.map((h) => h.toLowerCase()));

  const { time, longDate, header: dateHeader } = requestTime(req.headers);
  if (!signedSet.has(dateHeader)) invalid(`The "${dateHeader}" header must be signed (list it in SignedHeaders)`);
  if (!signedSet.has("host")) invalid('The "host" header must be signed (list it in SignedHeaders)');
  if (auth.service !== SIGV4_SERVICE) {
    invalid(`Credential scope names service "${auth.service}"; this endpoint accepts "${SIGV4_SERVICE}"`);
  }
  if (auth.terminator !== SCOPE_TERMINATOR) invalid(`Credential scope must end with "${SCOPE_TERMINATOR}"`);
  if (auth.date !== longDate.slice(0, 8)) {
    invalid(`Credential scope date ${auth.date} does not match the request date ${longDate.slice(0, 8)}`);
  }
  if (Math.abs(now - time) > MAX_CLOCK_SKEW_MS) {
    invalid(
      `Signature expired or not yet valid: request time ${new Date(time).toISOString()} is more than 15 minutes ` +
        `from server time ${new Date(now).toISOString()}. Check the client's clock (clock skew)`,
    );
  }

  const secret = await getSecret(auth.accessKeyId);
  if (secret === null) throw unknownAccessKey(auth.accessKeyId);

  const body = typeof req.body === "function" ? await req.body() : req.body;
  const payloadHash = verifiedPayloadHash(req.headers, body);
  const canonicalHeaders = auth.signedHeaders.map((name) => {
    const value = req.headers.get(name);
    if (value === null) invalid(`Signed header "${name}" is missing from the request`);
    return `${name}:${canonicalHeaderValue(value)}\n`;
  });
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalPath(req.path),
    canonicalQuery(req.query),
    canonicalHeaders.join(""),
    auth.signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${auth.date}/${auth.region}/${auth.service}/${auth.terminator}`;
  const stringToSign = [SIGV4_ALGORITHM, longDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const key = signingKey(secret, auth.date, auth.region, auth.service);
  const expected = createHmac("sha256", key).update(stringToSign, "utf8").digest();
  const provided = Buffer.from(auth.signature, "hex");
  if (!timingSafeEqual(expected, provided)) {
    // Like AWS, return what the server signed (no secret is part of it) so a client can diff.
    throw new ApiError(
      "InvalidSignature",
      "The request signature does not match the signature the server computed. Check the secret access key, " +
        "and that nothing between client and server changed the method, path, query, signed headers or body",
      { canonicalRequest, stringToSign },
    );
  }
  return { accessKeyId: auth.accessKeyId, region: auth.region };
}

/** Canonical URI for non-S3 services: remove dot and empty segments, then URI-encode the (already encoded) path again. */
export function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith("/") ? "/" : "";
  const normalized = `/${segments.join("/")}${trailing}`;
  return escapeUri(normalized).replace(/%2F/g, "/");
}

/** Canonical query: decode each pair, encode name and value (RFC 3986), sort by name then value. */
export function canonicalQuery(query: URLSearchParams | string): string {
  const pairs: Array<[string, string]> = [];
  if (typeof query === "string") {
    for (const part of query.replace(/^\?/, "").split("&")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      pairs.push(eq === -1 ? [decode(part), ""] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))]);
    }
  } else {
    for (const [k, v] of query) pairs.push([k, v]);
  }
  return pairs
    .filter(([k]) => k.toLowerCase() !== "x-amz-signature")
    .map(([k, v]) => [escapeUri(k), escapeUri(v)] as const)
    .sort(([ak, av], [bk, bv]) => compare(ak, bk) || compare(av, bv))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/** RFC 3986 unreserved characters stay; everything else is %XX (upper case), as AWS requires. */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a stray "%" is taken literally, so it is re-encoded as %25
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function canonicalHeaderValue(value: string): string {
  return value.replace(/[\r\n]/g, " ").replace(/[ \t]+/g, " ").trim();
}

function parseAuthorization(header: string | null): ParsedAuthorization {
  if (!header || !isSigV4Authorization(header)) {
    throw new ApiError("Unauthorized", `Missing AWS SigV4 Authorization header. ${HOW_TO_SIGN}`);
  }
  const fields = new Map<string, string>();
  for (const part of header.trim().slice(SIGV4_ALGORITHM.length).split(",")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get("Credential");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  const missing = [!credential && "Credential", !signedHeaders && "SignedHeaders", !signature && "Signature"].filter(Boolean);
  if (missing.length > 0) malformed(`missing ${missing.join(", ")}`);
  const scope = credential!.split("/");
  if (scope.length !== 5 || scope.some((s) => s === "")) {
    malformed("Credential must be <access key id>/<yyyymmdd>/<region>/<service>/aws4_request");
  }
  if (!/^\d{8}$/.test(scope[1])) malformed("the Credential date must be yyyymmdd");
  if (!/^[0-9a-f]{64}$/.test(signature!)) malformed("Signature must be 64 lower-case hex characters");
  const names = signedHeaders!.split(";");
  if (names.some((n) => !/^[!#$%&'*+.^_`|~0-9a-zA-Z-]+$/.test(n))) malformed("SignedHeaders must be header names separated by ';'");
  return {
    accessKeyId: scope[0],
    date: scope[1],
    region: scope[2],
    service: scope[3],
    terminator: scope[4],
    signedHeaders: names,
    signature: signature!,
  };
}

/** The signed request time from `x-amz-date` (`yyyymmddThhmmssZ`) or, failing that, `date`. */
function requestTime(headers: HeaderReader): { time: number; longDate: string; header: string } {
  const amzDate = headers.get(HEADER_AMZ_DATE);
  if (amzDate !== null) {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate.trim());
    if (!m) throw new ApiError("Unauthorized", "Malformed X-Amz-Date header: expected yyyymmddThhmmssZ, e.g. 20240501T120000Z");
    const [, y, mo, d, h, mi, s] = m.map(Number);
    return { time: Date.UTC(y, mo - 1, d, h, mi, s), longDate: amzDate.trim(), header: HEADER_AMZ_DATE };
  }
  const date = headers.get("date");
  const time = date === null ? NaN : Date.parse(date);
  if (Number.isNaN(time)) {
    throw new ApiError("Unauthorized", `Missing X-Amz-Date header: a SigV4-signed request must carry its signing time. ${HOW_TO_SIGN}`);
  }
  const longDate = new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
  return { time, longDate, header: "date" };
}

/** The payload hash to sign, after checking that a declared `x-amz-content-sha256` matches the body. */
function verifiedPayloadHash(headers: HeaderReader, body: Uint8Array): string {
  const bodyHash = sha256Hex(body);
  const declared = headers.get(HEADER_CONTENT_SHA256);
  if (declared === null) return bodyHash;
  if (declared === "UNSIGNED-PAYLOAD" || declared.startsWith("STREAMING-")) {
    invalid(`x-amz-content-sha256 "${declared}" is not accepted here: the body must be signed`);
  }
  if (declared.toLowerCase() !== bodyHash) invalid("The body does not match its x-amz-content-sha256 hash");
  return declared;
}

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  let key: Buffer = Buffer.from(`AWS4${secret}`, "utf8");
  for (const part of [date, region, service, SCOPE_TERMINATOR]) key = createHmac("sha256", key).update(part, "utf8").digest();
  return key;
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function unknownAccessKey(accessKeyId: string): ApiError {
  // Never echo something that could be a secret: only a well-formed access key id is quoted.
  if (parseApiKey(accessKeyId)) {
    return new ApiError(
      "Unauthorized",
      'The access key id looks like a whole API key. Use "hs_<id>" as the access key id and "<secret>" as the secret access key',
    );
  }
  if (keyIdFromAccessKeyId(accessKeyId) === null) {
    return new ApiError("Unauthorized", `The access key id is not of the form "hs_<id>". ${HOW_TO_SIGN}`);
  }
  return new ApiError("Unauthorized", `Unknown or revoked access key id "${accessKeyId}". ${HOW_TO_SIGN}`);
}

function malformed(what: string): never {
  throw new ApiError("Unauthorized", `Malformed AWS SigV4 Authorization header: ${what}. ${HOW_TO_SIGN}`);
}

function invalid(message: string): never {
  throw new ApiError("InvalidSignature", message);
}
