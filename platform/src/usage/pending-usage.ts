/**
 * The usage not yet written: counts per function, version and UTC hour, in memory. `add` is the
 * invocation path's part and does no I/O: two map lookups and a few additions, allocating only for
 * the first invocation of a version in an hour. `drain` hands everything to a flush, merged into
 * one delta per (function, version, hour); a failed flush gives its deltas back with `restore`,
 * bounded so a long database outage cannot grow memory without end (the oldest hours go first,
 * and the caller is told how much was dropped).
 */
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import { hourStart } from "./billing.ts";

/** What one flush adds to one (function, version, hour) row. */
export interface UsageDelta {
  functionName: string;
  version: number;
  /** Start of the UTC hour, epoch milliseconds. */
  hour: number;
  invocations: number;
  errors: number;
  coldStarts: number;
  billedMs: number;
  /** Σ billed ms × memorySize MB: an integer, so GB-seconds are computed once, without summing rounding errors. */
  mbMs: number;
}

/** The function version an invocation ran, as its spec names it. */
export type BilledVersion = Pick<FunctionSpec, "functionName" | "version" | "memorySize">;

/** Rows kept for a retry at the most, by default: days of an outage for hundreds of versions. */
export const DEFAULT_MAX_PENDING_ROWS = 100_000;

export class PendingUsage {
  /** Function → version → the delta of its current hour. */
  private current = new Map<string, Map<number, UsageDelta>>();
  /** Deltas of hours that ended before this flush, and deltas given back by failed flushes. */
  private held: UsageDelta[] = [];

  constructor(private readonly maxRows: number = DEFAULT_MAX_PENDING_ROWS) {}

  /**
   * Count one billed invocation of `spec`'s version that finished at `at` (epoch ms; the hour it
   * is counted in). Arguments, not an object, so the invocation path allocates nothing here.
   */
  add(spec: BilledVersion, at: number, billedMs: number, error: boolean, coldStart: boolean): void {
    let versions = this.current.get(spec.functionName);
    if (versions === undefined) this.current.set(spec.functionName, (versions = new Map()));
    const hour = hourStart(at);
    let d = versions.get(spec.version);
    if (d === undefined || d.hour !== hour) {
      // A new hour for this version: the previous hour's delta waits for the flush.
      if (d !== undefined) this.held.push(d);
      d = { functionName: spec.functionName, version: spec.version, hour, invocations: 0, errors: 0, coldStarts: 0, billedMs: 0, mbMs: 0 };
      versions.set(spec.version, d);
    }
    d.invocations++;
    if (error) d.errors++;
    if (coldStart) d.coldStarts++;
    d.billedMs += billedMs;
    d.mbMs += billedMs * spec.memorySize;
  }

  /** True when nothing waits to be written. */
  isEmpty(): boolean {
    return this.current.size === 0 && this.held.length === 0;
  }

  /** Everything pending, one delta per (function, version, hour), ordered by those keys; leaves nothing behind. */
  drain(): UsageDelta[] {
    const merged = new Map<string, UsageDelta>();
    const take = (d: UsageDelta) => {
      const key = `${d.functionName}\u0000${d.version}\u0000${d.hour}`;
      const seen = merged.get(key);
      if (seen === undefined) merged.set(key, { ...d });
      else addInto(seen, d);
    };
    for (const d of this.held) take(d);
    for (const versions of this.current.values()) for (const d of versions.values()) take(d);
    this.held = [];
    this.current = new Map();
    return [...merged.values()].sort(compareDeltas);
  }

  /**
   * Give back deltas a flush could not write, to be retried with the next one. Beyond the bound,
   * the oldest hours are dropped; returns what was dropped (empty when nothing was).
   */
  restore(deltas: readonly UsageDelta[]): UsageDelta[] {
    this.held.push(...deltas);
    const rows = this.held.length + [...this.current.values()].reduce((n, v) => n + v.size, 0);
    if (rows <= this.maxRows) return [];
    this.held.sort((a, b) => a.hour - b.hour);
    return this.held.splice(0, Math.min(this.held.length, rows - this.maxRows));
  }
}

function addInto(into: UsageDelta, d: UsageDelta): void {
  into.invocations += d.invocations;
  into.errors += d.errors;
  into.coldStarts += d.coldStarts;
  into.billedMs += d.billedMs;
  into.mbMs += d.mbMs;
}

/** By function, version, then hour (the order the repository writes in, too). */
export function compareDeltas(a: UsageDelta, b: UsageDelta): number {
  if (a.functionName !== b.functionName) return a.functionName < b.functionName ? -1 : 1;
  return a.version - b.version || a.hour - b.hour;
}
