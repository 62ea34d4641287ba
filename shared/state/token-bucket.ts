/**
 * Token buckets: the rate-limit counters of the state port. A bucket holds up to `burst` tokens and
 * refills at `rps` tokens a second; a request takes one or is told how long until one is there.
 * This module owns the arithmetic and the argument checks; the memory adapter runs it in-process and
 * the Redis adapter runs the same steps in one Lua script (redis-scripts.ts, TOKEN_BUCKET_TAKE), so
 * both pass the one contract suite.
 */

/** Requests per second with a burst: the shape of every rate limit (keys, functions, addresses). */
export interface TokenRate {
  /** Tokens added per second (> 0; fractions allowed, e.g. 0.5 = one every two seconds). */
  rps: number;
  /** Bucket size: requests allowed at once after a quiet spell (a whole number ≥ 1). */
  burst: number;
}

/** What one take answered. */
export interface TokenTake {
  allowed: boolean;
  /** When refused: milliseconds until a token is there (≥ 1). 0 when allowed. */
  retryAfterMs: number;
  /** Tokens left in the bucket after this take (fractional while it refills): below 1, the next take is refused. */
  remaining: number;
}

/** A bucket's stored state. */
export interface BucketState {
  tokens: number;
  /** Epoch ms of the last refill. */
  at: number;
}

export function checkTokenRate(rate: TokenRate): void {
  if (!Number.isFinite(rate.rps) || rate.rps <= 0) throw new RangeError(`rps must be a positive number, got ${rate.rps}`);
  if (!Number.isSafeInteger(rate.burst) || rate.burst < 1) throw new RangeError(`burst must be a positive integer, got ${rate.burst}`);
}

/** Refill `state` (undefined: a full bucket) to `now` and take one token if there is one. */
export function takeToken(state: BucketState | undefined, rate: TokenRate, now: number): { state: BucketState; take: TokenTake } {
  const elapsed = state === undefined ? 0 : Math.max(0, now - state.at);
  const tokens = state === undefined ? rate.burst : Math.min(rate.burst, state.tokens + (elapsed * rate.rps) / 1000);
  if (tokens >= 1) return { state: { tokens: tokens - 1, at: now }, take: { allowed: true, retryAfterMs: 0, remaining: tokens - 1 } };
  return { state: { tokens, at: now }, take: { allowed: false, retryAfterMs: Math.max(1, Math.ceil(((1 - tokens) * 1000) / rate.rps)), remaining: tokens } };
}

/** How long an untouched bucket must be kept: until it would be full again, plus a margin. */
export function bucketTtlMs(rate: TokenRate): number {
  return Math.ceil((rate.burst * 1000) / rate.rps) + 1000;
}
