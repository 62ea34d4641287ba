/** The Lambda-compatible API's paths, shared by the platform's front door, its authenticators and the client. */

/** Prefix of the Lambda-compatible API (API version 2015-03-31), where SigV4 is accepted. */
export const LAMBDA_PATH_PREFIX = "/2015-03-31/";

/** Lambda's Invoke: `POST /2015-03-31/functions/{name}/invocations`; `name` may be `name:qualifier` or an ARN. */
export function lambdaInvokePath(name: string): string {
  return `${LAMBDA_PATH_PREFIX}functions/${encodeURIComponent(name)}/invocations`;
}

/** Prefix of InvokeWithResponseStream (API version 2021-11-15), the other Lambda-compatible path. */
export const LAMBDA_STREAM_PATH_PREFIX = "/2021-11-15/";

/** Whether `path` is on the Lambda-compatible API (either API version): SigV4 is accepted there. */
export function isLambdaPath(path: string): boolean {
  return path.startsWith(LAMBDA_PATH_PREFIX) || path.startsWith(LAMBDA_STREAM_PATH_PREFIX);
}

/** Lambda's InvokeWithResponseStream: `POST /2021-11-15/functions/{name}/response-streaming-invocations`. */
export function lambdaStreamInvokePath(name: string): string {
  return `${LAMBDA_STREAM_PATH_PREFIX}functions/${encodeURIComponent(name)}/response-streaming-invocations`;
}
