/**
 * The cost estimate: gbSeconds × price per GB-second + invocations / 1e6 × price per million
 * requests, with the prices the control plane is configured with (Lambda's x86 list prices by default).
 */
import type { UsageFigures, UsagePricing } from "../../../protocol/api/usage.ts";
import type { UsageCounts } from "../db/repositories/usage.ts";

export type Pricing = UsagePricing;

/** Lambda's on-demand x86 prices (USD), the defaults of HOTSWAP_PRICE_*. */
export const DEFAULT_PRICING: Pricing = { currency: "USD", pricePerGbSecond: 0.0000166667, pricePerMillionRequests: 0.2 };

/** The estimated cost of `counts` at `pricing`. */
export function estimatedCost(counts: Pick<UsageCounts, "gbSeconds" | "invocations">, pricing: Pricing): number {
  return counts.gbSeconds * pricing.pricePerGbSecond + (counts.invocations / 1e6) * pricing.pricePerMillionRequests;
}

/** The counts as the API shows them: only the figures, with the estimate added. */
export function figuresOf(counts: UsageCounts, pricing: Pricing): UsageFigures {
  return {
    invocations: counts.invocations,
    errors: counts.errors,
    coldStarts: counts.coldStarts,
    billedMs: counts.billedMs,
    gbSeconds: counts.gbSeconds,
    estimatedCost: estimatedCost(counts, pricing),
  };
}

export const ZERO_COUNTS: UsageCounts = Object.freeze({ invocations: 0, errors: 0, coldStarts: 0, billedMs: 0, gbSeconds: 0 });

/** Σ of several counts. */
export function sumCounts(all: readonly UsageCounts[]): UsageCounts {
  const t = { ...ZERO_COUNTS };
  for (const c of all) {
    t.invocations += c.invocations;
    t.errors += c.errors;
    t.coldStarts += c.coldStarts;
    t.billedMs += c.billedMs;
    t.gbSeconds += c.gbSeconds;
  }
  return t;
}
