/**
 * Usage repository: the durable per-(function, version, UTC hour) aggregate behind the usage API.
 * Writers only ever add: `add` upserts with `count = count + excluded.count`, so any number of
 * control-plane replicas can flush into the same rows. Reads sum rows into hour or day buckets
 * (UTC) and per-function or per-version totals in SQL, so a year of hours never leaves the database.
 */
import { and, asc, eq, gte, lt, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { Db } from "../database.ts";
import { usageHourly } from "../schema.ts";

/** The counts every usage row and aggregate carries. */
export interface UsageCounts {
  invocations: number;
  errors: number;
  coldStarts: number;
  /** Σ billed milliseconds (each invocation rounded up to 1 ms). */
  billedMs: number;
  /** Σ billed seconds × memorySize GB. */
  gbSeconds: number;
}

/** What one writer adds to one row. */
export interface UsageRow extends UsageCounts {
  functionName: string;
  version: number;
  /** Start of the UTC hour. */
  hour: Date;
}

export type UsageGranularity = "hour" | "day";

/** Rows with from ≤ hour < to, of one function (and version) or of all. */
export interface UsageFilter {
  from: Date;
  to: Date;
  functionName?: string;
  version?: number;
}

/** What an aggregate is grouped by; every key left out is summed over. */
export interface UsageGrouping {
  bucket?: UsageGranularity;
  functionName?: boolean;
  version?: boolean;
}

export interface UsageAggregate extends UsageCounts {
  /** Set when grouped by function. */
  functionName?: string;
  /** Set when grouped by version. */
  version?: number;
  /** Start of the UTC hour or day, epoch ms; set when grouped by bucket. */
  bucket?: number;
}

export interface UsageRepository {
  /** Add each row's counts to the stored row with the same key (created at zero), in one statement. Rows must have distinct keys. */
  add(rows: readonly UsageRow[]): Promise<void>;
  /** Sums over the filter's rows, grouped as asked, ordered by function, version, then bucket. */
  aggregate(filter: UsageFilter, by: UsageGrouping): Promise<UsageAggregate[]>;
}

/** `stored + excluded` for a column: the upsert adds what the writer brings. */
const addExcluded = (column: string) => sql.raw(`"usage_hourly"."${column}" + excluded."${column}"`);

const sumOf = (column: AnyPgColumn, type: "bigint" | "float8") =>
  sql<number>`coalesce(sum(${column}), 0)::${sql.raw(type)}`.mapWith(Number);

/** Start of the row's UTC hour or day, as epoch milliseconds. */
function bucketOf(granularity: UsageGranularity): SQL<number> {
  const start = granularity === "day" ? sql`date_trunc('day', ${usageHourly.hour} AT TIME ZONE 'UTC')` : sql`(${usageHourly.hour} AT TIME ZONE 'UTC')`;
  return sql<number>`(extract(epoch from ${start}) * 1000)::float8`.mapWith(Number);
}

/**
 * By function, version, then hour: every writer upserts in this one order, so two replicas
 * flushing overlapping rows at once take the row locks in the same order and cannot deadlock.
 */
function byKey(a: UsageRow, b: UsageRow): number {
  if (a.functionName !== b.functionName) return a.functionName < b.functionName ? -1 : 1;
  return a.version - b.version || a.hour.getTime() - b.hour.getTime();
}

export function createUsageRepository(db: Db): UsageRepository {
  return {
    async add(rows) {
      if (rows.length === 0) return;
      await db
        .insert(usageHourly)
        .values([...rows].sort(byKey))
        .onConflictDoUpdate({
          target: [usageHourly.functionName, usageHourly.version, usageHourly.hour],
          set: {
            invocations: addExcluded("invocations"),
            errors: addExcluded("errors"),
            coldStarts: addExcluded("cold_starts"),
            billedMs: addExcluded("billed_ms"),
            gbSeconds: addExcluded("gb_seconds"),
          },
        });
    },

    async aggregate(filter, by) {
      const where = and(
        gte(usageHourly.hour, filter.from),
        lt(usageHourly.hour, filter.to),
        filter.functionName !== undefined ? eq(usageHourly.functionName, filter.functionName) : undefined,
        filter.version !== undefined ? eq(usageHourly.version, filter.version) : undefined,
      );
      const bucket = by.bucket ? bucketOf(by.bucket) : undefined;
      const keys: SQL[] = [];
      if (by.functionName) keys.push(sql`${usageHourly.functionName}`);
      if (by.version) keys.push(sql`${usageHourly.version}`);
      if (bucket) keys.push(bucket);
      const rows = await db
        .select({
          ...(by.functionName ? { functionName: usageHourly.functionName } : {}),
          ...(by.version ? { version: usageHourly.version } : {}),
          ...(bucket ? { bucket } : {}),
          invocations: sumOf(usageHourly.invocations, "bigint"),
          errors: sumOf(usageHourly.errors, "bigint"),
          coldStarts: sumOf(usageHourly.coldStarts, "bigint"),
          billedMs: sumOf(usageHourly.billedMs, "bigint"),
          gbSeconds: sumOf(usageHourly.gbSeconds, "float8"),
        })
        .from(usageHourly)
        .where(where)
        .groupBy(...keys)
        .orderBy(...(keys.length > 0 ? keys.map((k) => asc(k)) : []));
      // Without grouping keys, SUM over no rows still answers one row of zeros: drop it.
      return (rows as UsageAggregate[]).filter((r) => keys.length > 0 || r.invocations > 0 || r.billedMs > 0);
    },
  };
}
