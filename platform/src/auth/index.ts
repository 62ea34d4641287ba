/** Authentication: API keys, their storage port and cache, SigV4 verification and the Hono middleware. */
export * from "./api-key.ts";
export * from "./secret-box.ts";
export * from "./key-store.ts";
export * from "./sigv4.ts";
export * from "./middleware.ts";
