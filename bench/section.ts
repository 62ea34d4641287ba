import type { PairedLoad } from "./support.ts";

/** What a benchmark section gets and returns. Sections live in bench/sections/ and are listed in bench/sections/index.ts. */
export interface BenchContext {
  /** The bare Node server baseline, measured at the start of this run with `connections` connections. */
  baseline: { rps: number; p50: number; p99: number };
  /** URL of the bare baseline server (still running), for sections that re-measure it. */
  bareUrl: string;
  durationS: number;
  /** Rounds of bare-then-target measurements per throughput figure (BENCH_ROUNDS). */
  rounds: number;
  /**
   * Throughput of `url` as the median ratio over `rounds` back-to-back pairs with the bare server;
   * given the target's process id, also its CPU per request (and its children's) against the bare server's.
   */
  paired(url: string, headers: Record<string, string>, pid?: number): Promise<PairedLoad>;
  connections: number;
  root: string;
  progress(msg: string): void;
}

export interface BenchTable {
  title: string;
  head: string[];
  rows: string[][];
}

export type BenchSection = (ctx: BenchContext) => Promise<BenchTable[]>;
