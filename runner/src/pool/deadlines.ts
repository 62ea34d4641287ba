/**
 * Deadlines of the invocations running on one pool, behind a single timer set for the earliest:
 * an invocation costs an entry in a Set, not a timer of its own to create, unref and clear, which
 * showed in the profile of the invoke hot path. A timer that finds nothing due re-arms for the
 * next deadline, so under steady load it fires about once per timeout period.
 */
export interface DeadlineEntry<T> {
  readonly item: T;
  /** Date.now() at which `item` is due. */
  readonly at: number;
}

/** One unref'd timer, kept at the earliest time it has been asked to fire since it last fired. */
export class EarliestTimer {
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(private readonly onFire: () => void) {}

  /** Fire at `at` (Date.now() ms) or earlier, if already set earlier. */
  armFor(at: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.fire, Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.onFire();
  };
}

export class Deadlines<T> {
  private readonly entries = new Set<DeadlineEntry<T>>();
  private readonly timer = new EarliestTimer(() => this.fire());

  /** @param onDue called once for each entry whose deadline passed before it was removed */
  constructor(private readonly onDue: (item: T) => void) {}

  get size(): number {
    return this.entries.size;
  }

  add(item: T, at: number): DeadlineEntry<T> {
    const entry = { item, at };
    this.entries.add(entry);
    this.timer.armFor(at);
    return entry;
  }

  /** The entry is settled: it will not come due. */
  remove(entry: DeadlineEntry<T>): void {
    this.entries.delete(entry);
  }

  /** Forget every entry and stop the timer. */
  clear(): void {
    this.entries.clear();
    this.timer.clear();
  }

  private fire(): void {
    const now = Date.now();
    const due: T[] = [];
    let next = Infinity;
    for (const e of this.entries) {
      if (e.at <= now) {
        this.entries.delete(e);
        due.push(e.item);
      } else if (e.at < next) {
        next = e.at;
      }
    }
    if (next !== Infinity) this.timer.armFor(next);
    for (const item of due) this.onDue(item);
  }
}
