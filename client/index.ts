/**
 * `client/`: the typed HotSwap API client shared by the infra SDK, the tests, the CLI and the console.
 *
 * ```ts
 * const api = createApiClient({ baseUrl: "http://127.0.0.1:8080", apiKey });
 * const fn = await api.functions.get("hello");
 * if (!fn.ok) console.error(fn.error.code, fn.error.message);
 * else console.log(fn.value.latestVersion);
 * ```
 *
 * Every method returns `{ ok: true, status, value } | { ok: false, error: { status, code, message } }`;
 * expected failures are values, not exceptions. Types come from the API's own zod schemas
 * (protocol/api), and every answer is checked against its schema (`InvalidResponse` when it does not match).
 */
import { buildApiClient, type ApiClient } from "./api-client.ts";
import { checkResponse } from "./response-schemas.ts";
import type { ClientOptions } from "./transport.ts";

export function createApiClient(options: Omit<ClientOptions, "validate">): ApiClient {
  return buildApiClient({ ...options, validate: checkResponse });
}

export type { ApiClient } from "./api-client.ts";
export type { ApiFailure, ApiResult, ClientErrorCode } from "./result.ts";
export { failureError, unwrap } from "./result.ts";
export type { Call, CallOptions, ClientOptions, RawAnswer, Transport } from "./transport.ts";
export { invokeCall, type Invocation, type InvokeOptions, type LambdaInvocation, type LambdaInvokeOptions } from "./invoke.ts";
export type { ResponseKey, ResponseTypes } from "./responses.ts";
export { LogTailRefused } from "./logs.ts";
export { EventStreamRefused } from "./sse.ts";
export type { DeploymentStreamEvent } from "./deployments.ts";
