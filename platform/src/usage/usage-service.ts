/**
 * Answers the usage API from the durable aggregate: per-bucket figures, totals per version or per
 * function, and the grand total, each with its cost estimate. Before reading, it flushes this
 * replica's pending counts (cheap: nothing to do when none wait), so an answer includes every
 * invocation this replica has finished; other replicas' counts appear within their flush interval.
 */
import type { FunctionUsage, UsageBucket, UsageGranularity, UsageSummary } from "../../../protocol/api/usage.ts";
import type { UsageAggregate, UsageFilter, UsageRepository } from "../db/repositories/usage.ts";
import { figuresOf, sumCounts, type Pricing } from "./cost.ts";
import { iso, resolveRange, type UsageRange } from "./usage-range.ts";

export interface UsageServiceDeps {
  repo: Pick<UsageRepository, "aggregate">;
  /** Throws FunctionNotFound for a function that does not exist (now). */
  requireFunction(name: string): Promise<unknown>;
  pricing: Pricing;
  /** This replica's pending counts, written before each answer. */
  pending?: { flush(): Promise<void> };
  now?: () => number;
}

export interface RangeQuery {
  from?: string;
  to?: string;
  granularity: UsageGranularity;
}

export class UsageService {
  private readonly now: () => number;

  constructor(private readonly deps: UsageServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** One function's usage, of one version or all; FunctionNotFound when it does not exist. */
  async functionUsage(name: string, query: RangeQuery & { version?: number }): Promise<FunctionUsage> {
    const range = resolveRange(query, this.now());
    await this.deps.requireFunction(name);
    await this.flushPending();
    const filter: UsageFilter = { from: new Date(range.from), to: new Date(range.to), functionName: name, version: query.version };
    const [buckets, versions] = await Promise.all([
      this.deps.repo.aggregate(filter, { bucket: range.granularity }),
      this.deps.repo.aggregate(filter, { version: true }),
    ]);
    return {
      functionName: name,
      version: query.version ?? null,
      ...this.framed(range, buckets),
      versions: versions.map((v) => ({ version: v.version!, ...figuresOf(v, this.deps.pricing) })),
    };
  }

  /** Every function's usage, deleted ones included: per-bucket figures, totals per function, and the grand total. */
  async summary(query: RangeQuery): Promise<UsageSummary> {
    const range = resolveRange(query, this.now());
    await this.flushPending();
    const filter: UsageFilter = { from: new Date(range.from), to: new Date(range.to) };
    const [buckets, functions] = await Promise.all([
      this.deps.repo.aggregate(filter, { bucket: range.granularity }),
      this.deps.repo.aggregate(filter, { functionName: true }),
    ]);
    return {
      ...this.framed(range, buckets),
      functions: functions.map((f) => ({ functionName: f.functionName!, ...figuresOf(f, this.deps.pricing) })),
    };
  }

  /** The range, pricing, buckets and their total, as both answers carry them. */
  private framed(range: UsageRange, buckets: UsageAggregate[]) {
    const pricing = this.deps.pricing;
    return {
      granularity: range.granularity,
      from: iso(range.from),
      to: iso(range.to),
      pricing: { ...pricing },
      total: figuresOf(sumCounts(buckets), pricing),
      buckets: buckets.map((b): UsageBucket => ({ start: iso(b.bucket!), ...figuresOf(b, pricing) })),
    };
  }

  /** A failed flush keeps its counts for the next one; the answer then lags, as another replica's would. */
  private async flushPending(): Promise<void> {
    await this.deps.pending?.flush().catch(() => {});
  }
}
