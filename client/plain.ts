/**
 * The API client without response validation, for code that Pulumi serializes into a stack: the
 * SDK's dynamic providers run in Pulumi's provider host, a plain node process where neither zod
 * nor HotSwap's modules can be loaded, and Pulumi's closure serializer cannot capture zod schemas.
 * Everything reachable from here is plain functions and types: keep it so (no zod at run time).
 * Everyone else uses createApiClient (index.ts), which checks every answer.
 */
import { buildApiClient, type ApiClient } from "./api-client.ts";
import type { ClientOptions } from "./transport.ts";

export function createPlainApiClient(options: Omit<ClientOptions, "validate">): ApiClient {
  return buildApiClient(options);
}
