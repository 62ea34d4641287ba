/**
 * How the dynamic providers reach the control plane: the `endpoint` and `apiKey` inputs, turned
 * into the shared API client (client/). Its types are the API's own schemas (protocol/api), so
 * nothing here copies a view by hand.
 *
 * The providers are serialized into the stack by Pulumi's closure serializer and run in its
 * dynamic-provider host, where zod and HotSwap's modules cannot be loaded: so they use the client
 * without response validation (client/plain.ts), which is plain functions only.
 */
import { createPlainApiClient } from "../../client/plain.ts";
import type { ApiClient } from "../../client/api-client.ts";

/** Where the control plane is and how to authenticate: the `endpoint` and `apiKey` inputs. */
export interface Connection {
  endpoint: string;
  apiKey: string;
}

/** A provider call may wait this long for one answer (a large zip upload, a slow control plane). */
const REQUEST_TIMEOUT_MS = 120_000;

/** The API client for a resource's connection. */
export function apiOf(conn: Connection): ApiClient {
  return createPlainApiClient({ baseUrl: conn.endpoint, apiKey: conn.apiKey, timeoutMs: REQUEST_TIMEOUT_MS });
}

export { failureError as apiError } from "../../client/result.ts";
