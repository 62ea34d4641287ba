/**
 * The time range of a usage query: `from` and `to` (ISO-8601) widened to whole buckets (the hour
 * or the UTC day), defaults when absent (the last 24 hours for hour buckets, the last 30 days for
 * day buckets, up to the end of the current bucket), and bounded to MAX_USAGE_RANGE_DAYS.
 */
import { ApiError } from "../../../protocol/errors.ts";
import { MAX_USAGE_RANGE_DAYS, type UsageGranularity } from "../../../protocol/api/usage.ts";
import { DAY_MS, HOUR_MS } from "./billing.ts";

export interface UsageRange {
  granularity: UsageGranularity;
  /** Start of the first bucket, epoch ms (inclusive). */
  from: number;
  /** End of the last bucket, epoch ms (exclusive). */
  to: number;
}

const DEFAULT_SPAN_MS: Record<UsageGranularity, number> = { hour: 24 * HOUR_MS, day: 30 * DAY_MS };
const WIDTH_MS: Record<UsageGranularity, number> = { hour: HOUR_MS, day: DAY_MS };

/** The range a query asks for, at `now`; ValidationError when it is empty, reversed or too long. */
export function resolveRange(q: { from?: string; to?: string; granularity: UsageGranularity }, now: number): UsageRange {
  const width = WIDTH_MS[q.granularity];
  const to = Math.ceil((q.to !== undefined ? Date.parse(q.to) : now + 1) / width) * width;
  const from = q.from !== undefined ? Math.floor(Date.parse(q.from) / width) * width : to - DEFAULT_SPAN_MS[q.granularity];
  if (from >= to) {
    throw new ApiError(
      "ValidationError",
      `query: "from" (${iso(from)}) must be before "to" (${iso(to)}), both taken to whole ${q.granularity}s (UTC). Pass an earlier "from" or a later "to".`,
    );
  }
  const days = (to - from) / DAY_MS;
  if (days > MAX_USAGE_RANGE_DAYS) {
    throw new ApiError(
      "ValidationError",
      `query: the range from ${iso(from)} to ${iso(to)} covers ${Math.ceil(days)} days; one query may cover at most ${MAX_USAGE_RANGE_DAYS}. Narrow "from" and "to", or ask in several queries.`,
    );
  }
  return { granularity: q.granularity, from, to };
}

export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
