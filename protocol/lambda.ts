/** The Lambda-compatible API's paths, shared by the platform's front door, its authenticators and the client. */

/** Prefix of the Lambda-compatible API (API version 2015-03-31), where SigV4 is accepted. */
export const LAMBDA_PATH_PREFIX = "/2015-03-31/";

/** Lambda's Invoke: `POST /2015-03-31/functions/{name}/invocations`; `name` may be `name:qualifier` or an ARN. */
export function lambdaInvokePath(name: string): string {
  return `${LAMBDA_PATH_PREFIX}functions/${encodeURIComponent(name)}/invocations`;
}
