/**
 * JWT bearer tokens: verification with jose (HS256 under a shared secret, RS256/ES256 under an
 * OIDC provider's JWKS with rotation and a bounded cache), the mapping of claims to a Principal
 * (roles from a configurable claim, function scope from `functions`, `approver` → canApprove,
 * subject `jwt:<sub>`), precise 401 codes for every way a token fails, and a cache of verified
 * tokens by their string until their `exp`, so a token seen before costs one map lookup.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { ApiError } from "../../../protocol/errors.ts";
import { FUNCTION_PATTERN } from "./function-scope.ts";
import { isRole, type Principal, type Role } from "./principal.ts";

/** The server's JWT settings (HOTSWAP_JWT_*). At least one of `secret` and `jwksUrl` is set. */
export interface JwtSettings {
  /** HS256 shared secret, at least 32 bytes. */
  secret?: string;
  /** An OIDC provider's JWKS endpoint for RS256/ES256 tokens. */
  jwksUrl?: string;
  /** Required `iss`, when set. */
  issuer?: string;
  /** Required `aud` (one of), when set. */
  audience?: string;
  /** The claim holding the roles (a string or an array); a dotted path reaches into objects. @default "roles" */
  rolesClaim: string;
  /** Allowed clock skew for `exp` and `nbf`, in seconds. @default 30 */
  clockSkewSeconds: number;
}

/** A token that verified: who it is, and its claims (Http triggers hand them to the function). */
export interface VerifiedToken {
  principal: Principal;
  claims: JWTPayload;
  /** Until when (ms since epoch) the cached verdict stands. */
  until: number;
}

/** The role that grants approving deployments to protected aliases. */
export const APPROVER_ROLE = "approver";
/** How long a token without `exp` is trusted from the cache before it is verified again. */
const NO_EXP_CACHE_MS = 5 * 60_000;
const ASYMMETRIC = ["RS256", "ES256"];

/** True when a Bearer value has a compact JWS's shape (three base64url parts, a JSON header). */
export function looksLikeJwt(token: string): boolean {
  return token.startsWith("eyJ") && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

export class JwtVerifier {
  readonly #settings: JwtSettings | undefined;
  readonly #secret?: Uint8Array;
  readonly #jwks?: JWTVerifyGetKey;
  readonly #cache = new Map<string, VerifiedToken>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  /**
   * `jwksCooldownMs`: the least time between two JWKS fetches (a token with an unknown `kid` fetches
   * the set again after it, so a provider's new key is picked up). @default 30_000
   */
  constructor(settings: JwtSettings | undefined, opts: { maxEntries?: number; now?: () => number; jwksCooldownMs?: number } = {}) {
    this.#settings = settings;
    this.#maxEntries = opts.maxEntries ?? 10_000;
    this.#now = opts.now ?? Date.now;
    if (settings?.secret !== undefined) this.#secret = new TextEncoder().encode(settings.secret);
    // jose refetches on an unknown `kid` (after a cooldown) and every cacheMaxAge: key rotation.
    if (settings?.jwksUrl !== undefined) this.#jwks = createRemoteJWKSet(new URL(settings.jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: opts.jwksCooldownMs ?? 30_000, timeoutDuration: 5_000 });
  }

  /** False when neither a secret nor a JWKS URL is configured: every JWT is refused with JwtNotConfigured. */
  get configured(): boolean {
    return this.#secret !== undefined || this.#jwks !== undefined;
  }

  /** The verdict on a token verified before and not yet expired; undefined otherwise. */
  cached(token: string): VerifiedToken | undefined {
    const hit = this.#cache.get(token);
    if (hit === undefined) return undefined;
    if (hit.until > this.#now()) return hit;
    this.#cache.delete(token);
    return undefined;
  }

  /** Verify a token (from the cache when seen before). Rejects with a 401 ApiError saying what is wrong. */
  async verify(token: string): Promise<VerifiedToken> {
    const hit = this.cached(token);
    if (hit) return hit;
    const settings = this.#settings;
    if (!settings || !this.configured) throw notConfigured();
    const payload = await this.#check(token, settings);
    const principal = principalOf(payload, settings.rolesClaim);
    const until = payload.exp !== undefined ? payload.exp * 1000 : this.#now() + NO_EXP_CACHE_MS;
    const verified: VerifiedToken = { principal, claims: payload, until };
    if (this.#cache.size >= this.#maxEntries) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(token, verified);
    return verified;
  }

  async #check(token: string, s: JwtSettings): Promise<JWTPayload> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new ApiError("MalformedToken", "The Bearer token looks like a JWT but its header cannot be decoded. Send a compact JWS (header.payload.signature).");
    }
    const options = { issuer: s.issuer, audience: s.audience, clockTolerance: s.clockSkewSeconds, currentDate: new Date(this.#now()) };
    try {
      if (alg === "HS256" && this.#secret) return (await jwtVerify(token, this.#secret, { ...options, algorithms: ["HS256"] })).payload;
      if (alg !== undefined && ASYMMETRIC.includes(alg) && this.#jwks) return (await jwtVerify(token, this.#jwks, { ...options, algorithms: ASYMMETRIC })).payload;
    } catch (e) {
      throw tokenError(e);
    }
    const accepted = [...(this.#secret ? ["HS256"] : []), ...(this.#jwks ? ASYMMETRIC : [])];
    throw new ApiError("MalformedToken", `JWT algorithm "${alg}" is not accepted here; this server accepts ${accepted.join(", ")}.`);
  }
}

function notConfigured(): ApiError {
  return new ApiError("JwtNotConfigured", "A JWT was sent, but this server does not accept JWTs: set HOTSWAP_JWT_SECRET (HS256) or HOTSWAP_JWT_JWKS_URL (RS256/ES256), or use an API key.");
}

/** jose's failure as the 401 (or 503 for an unreachable JWKS) a client can act on. Never echoes the token. */
function tokenError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof errors.JWTExpired) return new ApiError("TokenExpired", "The JWT has expired (its exp is past, beyond the allowed clock skew). Get a new token.");
  if (e instanceof errors.JWTClaimValidationFailed) {
    const what: Record<string, string> = {
      aud: "its audience (aud) is not the one this server requires (HOTSWAP_JWT_AUDIENCE)",
      iss: "its issuer (iss) is not the one this server requires (HOTSWAP_JWT_ISSUER)",
      nbf: "it is not valid yet (nbf is in the future)",
      iat: "its issued-at time (iat) is invalid",
    };
    return new ApiError("InvalidTokenClaim", `The JWT was refused: ${what[e.claim] ?? `its "${e.claim}" claim failed validation (${e.reason})`}.`, { claim: e.claim });
  }
  if (e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSNoMatchingKey) {
    return new ApiError("InvalidTokenSignature", "The JWT's signature does not verify with this server's keys. Get a token from the configured issuer.");
  }
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid || (e instanceof Error && !(e instanceof errors.JOSEError))) {
    return new ApiError("JwksUnavailable", "The JWT could not be checked: the JWKS endpoint (HOTSWAP_JWT_JWKS_URL) did not answer with a key set. Try again later.");
  }
  return new ApiError("MalformedToken", "The Bearer token is not a valid JWT (JWS compact serialization with a JSON claims set).");
}

/** The principal a verified token's claims describe. */
export function principalOf(claims: JWTPayload, rolesClaim: string): Principal {
  if (typeof claims.sub !== "string" || claims.sub === "") throw new ApiError("InvalidTokenClaim", 'The JWT has no subject: a "sub" claim is required (it names the caller in the audit log).', { claim: "sub" });
  const named = stringList(claimAt(claims, rolesClaim), rolesClaim);
  const roles = named.filter(isRole) as Role[];
  const p: Principal = { subject: `jwt:${claims.sub}`, method: "jwt", roles: Object.freeze(roles) as Role[] };
  if (claims.functions !== undefined) {
    const patterns = stringList(claims.functions, "functions");
    const bad = patterns.find((f) => !FUNCTION_PATTERN.test(f));
    if (bad !== undefined) throw new ApiError("InvalidTokenClaim", `The JWT's "functions" claim has "${bad.slice(0, 80)}", which is not a function-name pattern ([a-zA-Z0-9_-] and *).`, { claim: "functions" });
    p.functions = Object.freeze(patterns) as string[];
  }
  if (named.includes(APPROVER_ROLE)) p.canApprove = true;
  return Object.freeze(p);
}

/** A claim by name, or by dotted path (`realm_access.roles`) when no claim has the whole name. */
function claimAt(claims: JWTPayload, name: string): unknown {
  if (name in claims) return claims[name];
  let at: unknown = claims;
  for (const part of name.split(".")) at = at !== null && typeof at === "object" ? (at as Record<string, unknown>)[part] : undefined;
  return at;
}

/** A claim that is a string (space-separated values) or an array of strings; absent is empty. */
function stringList(value: unknown, claim: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return value.split(/\s+/).filter((s) => s !== "");
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  throw new ApiError("InvalidTokenClaim", `The JWT's "${claim}" claim must be a string or an array of strings.`, { claim });
}
