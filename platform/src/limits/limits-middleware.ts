/**
 * The management API's side of the per-key rate limit: Hono middleware after authentication that
 * takes a token from the principal's bucket, the same bucket its invocations draw from (the
 * pipeline's key stage), and answers 429 with Retry-After when it is empty.
 */
import type { MiddlewareHandler } from "hono";
import type { AuthEnv } from "../auth/middleware.ts";
import type { RequestLimits } from "./request-limits.ts";

export function keyRateLimit(limits: RequestLimits): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const principal = c.get("principal");
    // Public paths (/health, /openapi.json, /docs) carry no principal and no limit.
    const rate = principal ? limits.keyRate(principal) : undefined;
    if (rate !== undefined) await limits.admitKey(principal, rate);
    return next();
  };
}
