/**
 * Authentication and authorization: API keys, their storage port and cache, the one Principal, the
 * ordered authenticators (API key, JWT, SigV4), function scopes, the permission table, cross-replica
 * key invalidation, and the Hono middleware.
 */
export * from "./api-key.ts";
export * from "./secret-box.ts";
export * from "./key-store.ts";
export * from "./sigv4.ts";
export * from "./principal.ts";
export * from "./credentials.ts";
export * from "./authentication.ts";
export * from "./api-key-authenticator.ts";
export * from "./sigv4-authenticator.ts";
export * from "./function-scope.ts";
export * from "./jwt-verifier.ts";
export * from "./jwt-authenticator.ts";
export * from "./key-invalidation.ts";
export * from "./permissions.ts";
export * from "./middleware.ts";
