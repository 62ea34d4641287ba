/**
 * Wire schemas of the usage API: GET /api/v1/functions/{name}/usage and GET /api/v1/usage.
 * Invocations, errors, cold starts, billed milliseconds and GB-seconds per hour or day bucket (UTC),
 * with totals and an estimated cost from the prices the control plane is configured with, which
 * the answer echoes so a reader knows what the estimate assumed.
 */
import { z } from "@hono/zod-openapi";
import { VersionNumberParam } from "./versions.ts";

/** The longest range one query may cover. */
export const MAX_USAGE_RANGE_DAYS = 366;

export const USAGE_GRANULARITIES = ["hour", "day"] as const;
export const UsageGranularity = z.enum(USAGE_GRANULARITIES);
export type UsageGranularity = z.infer<typeof UsageGranularity>;

/** An ISO-8601 instant with its offset (`Z` or ±hh:mm), or a date, read as UTC midnight. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
const INSTANT_MESSAGE = 'must be an ISO-8601 time with an offset, such as "2026-12-01T00:00:00Z", or a date such as "2026-12-01" (UTC)';

export const UsageInstant = z
  .string()
  .refine((s) => ISO_INSTANT.test(s) && Number.isFinite(Date.parse(s)), INSTANT_MESSAGE)
  .openapi({ example: "2026-12-01T00:00:00Z" });

export const UsageQuery = z.object({
  from: UsageInstant.optional().openapi({
    description: "Start, inclusive; moved back to the start of its hour or UTC day. Default: 24 hours (hour) or 30 days (day) before `to`",
  }),
  to: UsageInstant.optional().openapi({
    description: "End, exclusive; moved forward to the end of its hour or UTC day. Default: the end of the current hour or day",
  }),
  granularity: UsageGranularity.default("hour").openapi({ description: "Bucket size: hour, or day (UTC). Default hour" }),
});
export type UsageQuery = z.input<typeof UsageQuery>;

export const FunctionUsageQuery = UsageQuery.extend({
  version: VersionNumberParam.optional().openapi({ description: "Only this version; all versions when absent", example: "1" }),
});
export type FunctionUsageQuery = Omit<z.input<typeof FunctionUsageQuery>, "version"> & { version?: number | string };

/** What every bucket and total carries. */
export const UsageFigures = z.object({
  invocations: z.number().openapi({ description: "Invocations that ran on an instance (throttled and refused ones are not counted)" }),
  errors: z.number().openapi({ description: "Of those, the ones that failed: function errors, and timeouts, out-of-memory and crashes on the instance" }),
  coldStarts: z.number().openapi({ description: "Of those, the ones that started (or specialised) an instance" }),
  billedMs: z.number().openapi({ description: "Σ each invocation's duration rounded up to a whole millisecond (at least 1)" }),
  gbSeconds: z.number().openapi({ description: "Σ billed seconds × memorySize / 1024" }),
  estimatedCost: z.number().openapi({ description: "gbSeconds × pricePerGbSecond + invocations / 1e6 × pricePerMillionRequests" }),
});
export type UsageFigures = z.infer<typeof UsageFigures>;

export const UsageBucket = UsageFigures.extend({
  start: z.string().openapi({ description: "Start of the UTC hour or day", example: "2026-12-01T00:00:00.000Z" }),
}).openapi("UsageBucket");
export type UsageBucket = z.infer<typeof UsageBucket>;

export const UsagePricing = z
  .object({
    currency: z.string().openapi({ example: "USD" }),
    pricePerGbSecond: z.number().openapi({ example: 0.0000166667 }),
    pricePerMillionRequests: z.number().openapi({ example: 0.2 }),
  })
  .openapi("UsagePricing", { description: "The prices the estimate assumed (HOTSWAP_PRICE_* settings)" });
export type UsagePricing = z.infer<typeof UsagePricing>;

const range = {
  granularity: UsageGranularity,
  from: z.string().openapi({ description: "Start of the first bucket covered (inclusive)" }),
  to: z.string().openapi({ description: "End of the last bucket covered (exclusive)" }),
  pricing: UsagePricing,
  total: UsageFigures,
  buckets: z.array(UsageBucket).openapi({ description: "Buckets with any usage, oldest first; buckets without usage are left out" }),
};

/** GET /api/v1/functions/{name}/usage. */
export const FunctionUsage = z
  .object({
    functionName: z.string(),
    version: z.number().nullable().openapi({ description: "The version asked for; null for all versions" }),
    ...range,
    versions: z.array(UsageFigures.extend({ version: z.number() })).openapi({ description: "Totals per version over the range" }),
  })
  .openapi("FunctionUsage");
export type FunctionUsage = z.infer<typeof FunctionUsage>;

/** GET /api/v1/usage. */
export const UsageSummary = z
  .object({
    ...range,
    functions: z.array(UsageFigures.extend({ functionName: z.string() })).openapi({ description: "Totals per function over the range, deleted functions included" }),
  })
  .openapi("UsageSummary");
export type UsageSummary = z.infer<typeof UsageSummary>;
