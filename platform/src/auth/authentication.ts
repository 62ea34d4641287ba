/**
 * Authentication as an ordered list of authenticators that may decline. Each one returns a
 * principal for credentials of its kind that check out, null when the request carries none of its
 * kind (the next one is asked), and throws 401/403 when they are its kind and wrong. When every one
 * declines, `authenticateNow` answers the 401 that says how to authenticate on that path.
 *
 * An authenticator may answer synchronously (the API-key one does from its cache): the front door
 * then attaches its body listeners in the request's own turn, a measured throughput win.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { LAMBDA_PATH_PREFIX, type CredentialRequest } from "./credentials.ts";
import { isLambdaPath } from "../../../protocol/lambda.ts";
import type { Principal } from "./principal.ts";
import { isSigV4Authorization } from "./sigv4.ts";

export type Authenticator = (req: CredentialRequest) => Principal | null | Promise<Principal | null>;

export const BEARER_HINT = 'Send "Authorization: Bearer hs_<id>_<secret>" with an API key';

/** A Bearer header; the token is group 1. Shared by the API-key authenticator and the fallback message. */
export const BEARER = /^[ \t]*Bearer[ \t]+(.*?)[ \t]*$/i;

/**
 * Ask each authenticator in order; the first principal wins. Returns the principal itself when
 * every answer so far was synchronous, else a promise of it. Throws (or rejects) 401 when all decline.
 */
export function authenticateNow(authenticators: readonly Authenticator[], req: CredentialRequest): Principal | Promise<Principal> {
  for (let i = 0; i < authenticators.length; i++) {
    const answer = authenticators[i]!(req);
    if (answer === null) continue;
    if (answer instanceof Promise) return answer.then((p) => p ?? authenticateRest(authenticators, i + 1, req));
    return answer;
  }
  throw noCredentials(req);
}

async function authenticateRest(authenticators: readonly Authenticator[], from: number, req: CredentialRequest): Promise<Principal> {
  for (let i = from; i < authenticators.length; i++) {
    const p = await authenticators[i]!(req);
    if (p) return p;
  }
  throw noCredentials(req);
}

/** The 401 when no authenticator recognised the credentials, saying how to authenticate on that path. */
export function noCredentials(req: CredentialRequest): ApiError {
  const header = req.header("authorization");
  const lambdaPath = isLambdaPath(req.path);
  if (isSigV4Authorization(header) && !lambdaPath) {
    return new ApiError("Unauthorized", `AWS SigV4 is accepted only on the Lambda-compatible API (${LAMBDA_PATH_PREFIX}...). ${BEARER_HINT}`);
  }
  // A Bearer token no authenticator took: not an API key's shape (and no JWT authenticator claimed it).
  // Never echo the token: it may be a real secret in the wrong shape.
  if (header !== undefined && BEARER.test(header)) {
    return new ApiError("Unauthorized", `Malformed API key: expected hs_<id>_<secret>. ${BEARER_HINT}`);
  }
  const prefix = header ? "Unsupported Authorization scheme." : "Missing credentials.";
  const sigv4 = lambdaPath ? ', or sign the request with AWS SigV4 (access key id "hs_<id>", secret access key "<secret>")' : "";
  return new ApiError("Unauthorized", `${prefix} ${BEARER_HINT}${sigv4}`);
}
