/**
 * The JWT authenticator: claims a Bearer value that looks like a JWT (the API-key authenticator
 * declines those) and answers from the verifier's cache synchronously when it has seen the token,
 * so a cached token costs the invoke path one map lookup.
 */
import type { Authenticator } from "./authentication.ts";
import type { JwtVerifier } from "./jwt-verifier.ts";
import { looksLikeJwt } from "./jwt-verifier.ts";

/** The token of `Authorization: Bearer <jwt>`, or undefined when the header carries none. */
export function bearerJwt(header: string | undefined): string | undefined {
  if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== "bearer ") return undefined;
  const token = header.slice(7).trim();
  return looksLikeJwt(token) ? token : undefined;
}

export function jwtAuthenticator(verifier: JwtVerifier): Authenticator {
  return (req) => {
    const token = bearerJwt(req.header("authorization"));
    if (token === undefined) return null;
    const hit = verifier.cached(token);
    return hit !== undefined ? hit.principal : verifier.verify(token).then((v) => v.principal);
  };
}
