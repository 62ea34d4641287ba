/**
 * The API-key authenticator: `Authorization: Bearer hs_<id>_<secret>`, checked against the stored
 * hash only. It claims a Bearer token only when it has an API key's shape, so a JWT authenticator
 * after it gets every other Bearer token. Answers synchronously from the key cache when it can.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { parseApiKey } from "./api-key.ts";
import { BEARER, BEARER_HINT, type Authenticator } from "./authentication.ts";
import type { KeyResolver, ResolvedKey } from "./key-store.ts";
import { bearerKeyPrincipal, type Principal } from "./principal.ts";

export function apiKeyAuthenticator(resolver: KeyResolver): Authenticator {
  return (req) => {
    const header = req.header("authorization");
    const cached = verifyBearerCached(resolver, header);
    return cached !== undefined ? cached : verifyBearer(resolver, header);
  };
}

/**
 * Check an Authorization header carrying `Bearer hs_<id>_<secret>`. Null when it is not a Bearer
 * header with an API key's shape (not ours: the next authenticator is asked); throws ApiError
 * Unauthorized when it is one and the key is unknown or revoked.
 */
export async function verifyBearer(resolver: KeyResolver, header: string | undefined): Promise<Principal | null> {
  const parsed = parseBearer(header);
  if (!parsed) return null;
  return bearerPrincipal(resolver, await resolver.verify(parsed.id, parsed.secret));
}

/**
 * verifyBearer without waiting: the same answer when the key's record is cached (nearly always),
 * undefined when only verifyBearer can tell.
 */
export function verifyBearerCached(resolver: KeyResolver, header: string | undefined): Principal | null | undefined {
  // The common case, `Bearer <a token seen before>`, without a regular expression.
  if (header !== undefined && header.length > 7 && header.charCodeAt(6) === 32 && header.slice(0, 6).toLowerCase() === "bearer") {
    const seen = resolver.verifiedToken(header.slice(7));
    if (seen !== undefined) return bearerPrincipal(resolver, seen);
  }
  const parsed = parseBearer(header);
  if (!parsed) return null;
  const key = resolver.verifyCached(parsed.id, parsed.secret);
  return key === undefined ? undefined : bearerPrincipal(resolver, key);
}

/** The key in a Bearer header; null when the header is not a Bearer one or the token is not `hs_<id>_<secret>`. */
function parseBearer(header: string | undefined): { id: string; secret: string } | null {
  const m = header ? BEARER.exec(header) : null;
  return m ? parseApiKey(m[1]!) : null;
}

function bearerPrincipal(resolver: KeyResolver, key: ResolvedKey | null): Principal {
  if (!key) throw new ApiError("Unauthorized", `Invalid or revoked API key. ${BEARER_HINT}`);
  resolver.markUsed(key.id);
  return bearerKeyPrincipal(key);
}
