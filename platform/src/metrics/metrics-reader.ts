/**
 * Reads per-version metric windows back from the state store for rollout analysis and the
 * deployment view: requests, errors, error rate and p50/p95/p99 over any [from, to) interval.
 *
 * Analysis asks for the same windows every tick, so buckets that can no longer change (older
 * than the recorders' flush lag) are cached in memory; a tick then reads only the newest few.
 */
import type { StateStore } from "../../../shared/state/state-store.ts";
import { quantile, type Histogram } from "./histogram.ts";
import {
  FIELD_COUNT,
  FIELD_ERRORS,
  HISTOGRAM_PREFIX,
  MINUTES,
  SECONDS,
  SECOND_RESOLUTION_MAX_MS,
  metricKey,
  type Resolution,
} from "./metric-keys.ts";

export interface WindowCounts {
  requests: number;
  errors: number;
  histogram: Histogram;
}

/** What the API shows and the analysis compares. Latencies in ms; null without samples. */
export interface WindowStats {
  requests: number;
  errors: number;
  errorRate: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Buckets are final this long after they end (flush interval plus clock skew between replicas). */
const SETTLE_MS = 3000;
const CACHE_LIMIT = 50_000;
const READ_BATCH = 200;

export function emptyCounts(): WindowCounts {
  return { requests: 0, errors: 0, histogram: new Map() };
}

export function toStats(c: WindowCounts): WindowStats {
  const round = (v: number | undefined) => (v === undefined ? null : Math.round(v * 10) / 10);
  return {
    requests: c.requests,
    errors: c.errors,
    errorRate: c.requests > 0 ? c.errors / c.requests : null,
    p50: round(quantile(c.histogram, 0.5)),
    p95: round(quantile(c.histogram, 0.95)),
    p99: round(quantile(c.histogram, 0.99)),
  };
}

function parse(h: Record<string, string>): WindowCounts {
  const out = emptyCounts();
  for (const [field, value] of Object.entries(h)) {
    const n = Number(value);
    if (!Number.isFinite(n)) continue;
    if (field === FIELD_COUNT) out.requests = n;
    else if (field === FIELD_ERRORS) out.errors = n;
    else if (field.startsWith(HISTOGRAM_PREFIX)) out.histogram.set(Number(field.slice(HISTOGRAM_PREFIX.length)), n);
  }
  return out;
}

function addInto(into: WindowCounts, c: WindowCounts): void {
  into.requests += c.requests;
  into.errors += c.errors;
  for (const [i, n] of c.histogram) into.histogram.set(i, (into.histogram.get(i) ?? 0) + n);
}

export class MetricsReader {
  private readonly cache = new Map<string, WindowCounts>();
  private readonly now: () => number;

  constructor(
    private readonly state: StateStore,
    private readonly opts: { namespace: string; now?: () => number },
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Counts for one version over [fromMs, toMs). Windows over 10 minutes use minute buckets. */
  async window(functionName: string, version: number, fromMs: number, toMs: number): Promise<WindowCounts> {
    const out = emptyCounts();
    if (toMs <= fromMs) return out;
    const res: Resolution = toMs - fromMs <= SECOND_RESOLUTION_MAX_MS ? SECONDS : MINUTES;
    const first = Math.floor(fromMs / res.widthMs);
    const last = Math.floor((toMs - 1) / res.widthMs);
    const settledBefore = this.now() - SETTLE_MS;
    const toRead: Array<{ key: string; final: boolean }> = [];
    for (let b = first; b <= last; b++) {
      const key = metricKey(this.opts.namespace, res, functionName, version, b);
      const cached = this.cache.get(key);
      if (cached) addInto(out, cached);
      else toRead.push({ key, final: (b + 1) * res.widthMs < settledBefore });
    }
    for (let i = 0; i < toRead.length; i += READ_BATCH) {
      const slice = toRead.slice(i, i + READ_BATCH);
      const hashes = await Promise.all(slice.map((r) => this.state.hgetall(r.key)));
      for (const [j, h] of hashes.entries()) {
        const counts = parse(h);
        addInto(out, counts);
        if (slice[j]!.final) this.remember(slice[j]!.key, counts);
      }
    }
    return out;
  }

  async stats(functionName: string, version: number, fromMs: number, toMs: number): Promise<WindowStats> {
    return toStats(await this.window(functionName, version, fromMs, toMs));
  }

  private remember(key: string, counts: WindowCounts): void {
    if (this.cache.size >= CACHE_LIMIT) {
      // Oldest first: Map keeps insertion order.
      const drop = this.cache.keys().next().value;
      if (drop !== undefined) this.cache.delete(drop);
    }
    this.cache.set(key, counts);
  }
}
