/**
 * Where per-version metric windows live in the state store. Two resolutions are written: one hash
 * per second (short windows, kept 25 minutes) and one per minute (long windows, kept 26 hours).
 * Hash fields: `n` invocations, `e` errors, `h<i>` latency histogram bucket i (see histogram.ts).
 */

export interface Resolution {
  name: "s" | "m";
  /** Bucket width in ms. */
  widthMs: number;
  /** How long a bucket is kept. */
  ttlMs: number;
}

export const SECONDS: Resolution = { name: "s", widthMs: 1000, ttlMs: 25 * 60_000 };
export const MINUTES: Resolution = { name: "m", widthMs: 60_000, ttlMs: 26 * 3600_000 };

/** Windows up to this long are read at second resolution; longer ones at minute resolution. */
export const SECOND_RESOLUTION_MAX_MS = 10 * 60_000;

export const FIELD_COUNT = "n";
export const FIELD_ERRORS = "e";
export const HISTOGRAM_PREFIX = "h";

/** `<namespace>m:<res>:<function>:<version>:<bucket>`; function names never contain ':'. */
export function metricKey(namespace: string, res: Resolution, functionName: string, version: number, bucket: number): string {
  return `${namespace}m:${res.name}:${functionName}:${version}:${bucket}`;
}
