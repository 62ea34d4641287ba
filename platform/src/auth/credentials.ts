/**
 * The framework-neutral view of a request that authenticators read: method, raw path and query,
 * headers and a bounded body getter. Hono's app and the node:http front door each adapt their
 * request to it, so both run the one ordered list of authenticators.
 */

export interface CredentialRequest {
  readonly method: string;
  /** Path percent-decoded, for prefix checks (public paths, the Lambda API). */
  readonly path: string;
  /** Path as received, percent-encoding intact (SigV4 signs it as sent). */
  readonly rawPath: string;
  /** Query string as received, without `?`. */
  readonly rawQuery: string;
  /** The client's address (the TCP peer), for per-address limits; absent when unknown (in-process requests). */
  readonly remoteAddress?: string;
  /** Header value by lower-case name. */
  header(name: string): string | undefined;
  /** Header value by name, `null` when absent: the shape SigV4 verification reads. */
  get(name: string): string | null;
  /**
   * The body, read at most once and never past the synchronous-payload limit (rejects with
   * PayloadTooLarge). Authenticators call it only once the cheap checks passed.
   */
  body(): Promise<Uint8Array>;
}

/** Prefix of the Lambda-compatible API: SigV4 is accepted there, and its errors take Lambda's shape. */
export { LAMBDA_PATH_PREFIX } from "../../../protocol/lambda.ts";

/** Paths served without credentials (exact match or anything below them). */
export const PUBLIC_PATHS: readonly string[] = ["/health", "/openapi.json", "/docs"];

export function isPublicPath(path: string, publicPaths: readonly string[] = PUBLIC_PATHS): boolean {
  return publicPaths.some((p) => path === p || path.startsWith(p.endsWith("/") ? p : p + "/"));
}
