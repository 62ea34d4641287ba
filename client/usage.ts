/** Usage and cost: GET /api/v1/functions/{name}/usage and GET /api/v1/usage. */
import type { FunctionUsageQuery, UsageQuery } from "../protocol/api/usage.ts";
import type { CallOptions, Transport } from "./transport.ts";

export function usageEndpoints(t: Transport) {
  return {
    /**
     * GET /api/v1/functions/{name}/usage?from=&to=&granularity=hour|day&version=: buckets, totals
     * per version and the total, with cost estimates. FunctionNotFound (404); ValidationError (400)
     * for a reversed range or one over 366 days.
     */
    functionUsage: (name: string, query: FunctionUsageQuery = {}, opts?: CallOptions) =>
      t.request(
        {
          method: "GET",
          path: `/api/v1/functions/${encodeURIComponent(name)}/usage`,
          query: { from: query.from, to: query.to, granularity: query.granularity, version: query.version },
        },
        "FunctionUsage",
        opts,
      ),
    /** GET /api/v1/usage?from=&to=&granularity=: every function's totals (deleted ones included), buckets and the grand total. */
    usage: (query: UsageQuery = {}, opts?: CallOptions) =>
      t.request({ method: "GET", path: "/api/v1/usage", query: { from: query.from, to: query.to, granularity: query.granularity } }, "UsageSummary", opts),
  };
}
