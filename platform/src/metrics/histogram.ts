/**
 * Fixed log-scale latency histogram shared by the recorder (which increments bucket counters in
 * the state store) and the reader (which estimates quantiles). Bucket i holds durations in
 * (2^((i-1)/4), 2^(i/4)] ms, so a quantile is known within ~19 % and every replica and runner
 * agree on the buckets without configuration. Bucket 0 holds everything up to 1 ms.
 */

/** Buckets per doubling of latency. */
const PER_OCTAVE = 4;
/** Last bucket: 2^(100/4) ms ≈ 9.3 hours, far beyond any function timeout. */
export const MAX_BUCKET = 100;

/** The bucket index of a duration in milliseconds. */
export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(MAX_BUCKET, Math.ceil(PER_OCTAVE * Math.log2(ms) - 1e-9));
}

/** Upper bound (ms) of bucket i. */
export function bucketUpperMs(i: number): number {
  return 2 ** (i / PER_OCTAVE);
}

function bucketLowerMs(i: number): number {
  return i === 0 ? 0 : bucketUpperMs(i - 1);
}

/** Sparse histogram: bucket index → count. */
export type Histogram = Map<number, number>;

/**
 * The q-quantile (0..1) in ms, interpolated linearly inside the bucket that holds it (as
 * Prometheus's histogram_quantile does). Undefined for an empty histogram.
 */
export function quantile(h: Histogram, q: number): number | undefined {
  let total = 0;
  for (const n of h.values()) total += n;
  if (total === 0) return undefined;
  const rank = q * total;
  const indexes = [...h.keys()].sort((a, b) => a - b);
  let seen = 0;
  for (const i of indexes) {
    const n = h.get(i)!;
    if (n <= 0) continue;
    if (seen + n >= rank) {
      const lo = bucketLowerMs(i);
      const hi = bucketUpperMs(i);
      return lo + (hi - lo) * Math.min(1, Math.max(0, (rank - seen) / n));
    }
    seen += n;
  }
  return bucketUpperMs(indexes[indexes.length - 1]!);
}
