/** What a benchmark section gets and returns. Sections live in bench/sections/ and are listed in bench/sections/index.ts. */
export interface BenchContext {
  /** The bare Node server baseline, measured at the start of this run with `connections` connections. */
  baseline: { rps: number; p50: number; p99: number };
  /** URL of the bare baseline server (still running), for sections that re-measure it. */
  bareUrl: string;
  durationS: number;
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
