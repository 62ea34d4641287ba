/**
 * Runner choice for one invocation (pure, allocation-free): prefer a runner with a free warm
 * slot of the version; otherwise take the less loaded of two runners drawn at random (the power
 * of two choices, which spreads load almost as well as "least loaded" without herding every
 * replica onto the same runner). Among several warm runners the same two-choice rule applies.
 */

export interface PlacementView<R> {
  /** Invocation slots of version `key` free on `r` right now (estimated). */
  free(r: R, key: string): number;
  /** Load of `r` relative to its capacity, for an invocation of `key`; lower is better. */
  load(r: R, key: string): number;
}

/**
 * Pick a runner for version `key` among `runners`, never `exclude` (the runner a first attempt
 * failed on). Undefined when there is none.
 */
export function pickRunner<R>(
  runners: readonly R[],
  key: string,
  view: PlacementView<R>,
  exclude?: R,
  random: () => number = Math.random,
): R | undefined {
  // Two uniform samples (reservoir of size 2) of the warm runners and of all runners, in one pass.
  let warmA: R | undefined;
  let warmB: R | undefined;
  let warmN = 0;
  let anyA: R | undefined;
  let anyB: R | undefined;
  let anyN = 0;
  for (let i = 0; i < runners.length; i++) {
    const r = runners[i];
    if (r === exclude) continue;
    anyN++;
    if (anyN === 1) anyA = r;
    else if (anyN === 2) anyB = r;
    else {
      const j = Math.floor(random() * anyN);
      if (j === 0) anyA = r;
      else if (j === 1) anyB = r;
    }
    if (view.free(r, key) > 0) {
      warmN++;
      if (warmN === 1) warmA = r;
      else if (warmN === 2) warmB = r;
      else {
        const j = Math.floor(random() * warmN);
        if (j === 0) warmA = r;
        else if (j === 1) warmB = r;
      }
    }
  }
  if (warmN > 0) return warmN === 1 ? warmA : lessLoaded(warmA!, warmB!, key, view);
  if (anyN === 0) return undefined;
  return anyN === 1 ? anyA : lessLoaded(anyA!, anyB!, key, view);
}

function lessLoaded<R>(a: R, b: R, key: string, view: PlacementView<R>): R {
  return view.load(b, key) < view.load(a, key) ? b : a;
}

/** Split `total` into `n` near-equal integer shares, larger ones first. */
export function shares(total: number, n: number): number[] {
  const base = Math.floor(total / n);
  const extra = total % n;
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0));
}
