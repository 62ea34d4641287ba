/**
 * The wire shape of a rate limit, `{ rps, burst }`: one schema for a function's `rateLimit`
 * (functions API) and a key's (keys API), so both are checked with the same words.
 */
import { z } from "@hono/zod-openapi";

/** Largest rate and burst a setting may name (well past what one control plane serves). */
export const MAX_RATE_LIMIT_RPS = 1_000_000;

export const RateLimit = z
  .object({
    rps: z
      .number({ message: "rps must be a number of requests per second" })
      .positive("rps must be greater than 0 (fractions allowed: 0.5 is one request every two seconds)")
      .max(MAX_RATE_LIMIT_RPS, `rps must be at most ${MAX_RATE_LIMIT_RPS}`),
    burst: z
      .number({ message: "burst must be a whole number of requests" })
      .int("burst must be a whole number of requests")
      .min(1, "burst must be at least 1")
      .max(MAX_RATE_LIMIT_RPS, `burst must be at most ${MAX_RATE_LIMIT_RPS}`),
  })
  .strict()
  .openapi("RateLimit", {
    description: "Requests per second with a burst (a token bucket); null = the server default.",
    example: { rps: 50, burst: 100 },
  });
export type RateLimit = z.infer<typeof RateLimit>;
