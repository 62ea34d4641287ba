/**
 * Argument checks shared by the state adapters, so both reject the same bad input with the same message
 * instead of one adapter passing it to Redis and the other silently accepting it.
 */

/** A TTL must be a positive whole number of milliseconds (Redis rejects PX 0 and fractions). */
export function checkTtl(ttlMs: number | undefined, what = "ttlMs"): void {
  if (ttlMs === undefined) return;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new RangeError(`${what} must be a positive integer number of milliseconds, got ${ttlMs}`);
  }
}

/** Counters move by whole numbers only (INCRBY/HINCRBY semantics). */
export function checkIncrement(by: number): void {
  if (!Number.isSafeInteger(by)) throw new RangeError(`increment must be a safe integer, got ${by}`);
}

/** Counts (read sizes, claim sizes, maxLen) must be positive whole numbers. */
export function checkCount(n: number | undefined, what: string): void {
  if (n === undefined) return;
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`${what} must be a positive integer, got ${n}`);
}

/** blockMs must be a non-negative whole number; 0 means do not block. */
export function checkBlockMs(ms: number | undefined): void {
  if (ms === undefined) return;
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`blockMs must be a non-negative integer, got ${ms}`);
}

/** A stream entry needs at least one field (XADD rejects an empty one). */
export function checkFields(fields: Record<string, string>): void {
  if (Object.keys(fields).length === 0) throw new RangeError("xadd needs at least one field");
}
