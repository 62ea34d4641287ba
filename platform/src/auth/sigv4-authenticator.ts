/**
 * The SigV4 authenticator for the Lambda-compatible path: access key id `hs_<id>`, secret access
 * key `<secret>`. It claims only AWS4-HMAC-SHA256 Authorization headers under the Lambda prefix,
 * and reads the (bounded) body only after the header, the time and the key checked out.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { keyIdFromAccessKeyId } from "./api-key.ts";
import type { Authenticator } from "./authentication.ts";
import { isLambdaPath } from "../../../protocol/lambda.ts";
import type { KeyResolver } from "./key-store.ts";
import { keyPrincipal } from "./principal.ts";
import { isSigV4Authorization, verifySigV4 } from "./sigv4.ts";

export interface SigV4AuthenticatorOptions {
  /** Only requests under this prefix are considered. @default both Lambda API versions (isLambdaPath) */
  pathPrefix?: string;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

export function sigV4Authenticator(resolver: KeyResolver, opts: SigV4AuthenticatorOptions = {}): Authenticator {
  const prefix = opts.pathPrefix;
  const now = opts.now ?? Date.now;
  const secretOf = async (accessKeyId: string) => {
    const id = keyIdFromAccessKeyId(accessKeyId);
    return id === null ? null : resolver.secret(id);
  };
  return (req) => {
    if (!(prefix === undefined ? isLambdaPath(req.path) : req.path.startsWith(prefix)) || !isSigV4Authorization(req.header("authorization"))) return null;
    return verify(req);
  };
  async function verify(req: Parameters<Authenticator>[0]) {
    const { accessKeyId } = await verifySigV4(
      { method: req.method, path: req.rawPath, query: req.rawQuery, headers: req, body: () => req.body() },
      secretOf,
      now(),
    );
    const id = keyIdFromAccessKeyId(accessKeyId)!;
    // The key may have been revoked between the secret lookup and now; re-read the cached record.
    const key = await resolver.get(id);
    if (!key) throw new ApiError("Unauthorized", `Unknown or revoked access key id "${accessKeyId}"`);
    resolver.markUsed(id);
    return keyPrincipal(key, "sigv4");
  }
}
