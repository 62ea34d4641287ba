/**
 * The FIFO of invocations waiting for an instance slot, each with a wait timer. The pool decides
 * what happens when a timer fires (a waiter covered by a start in progress keeps waiting), so
 * this only owns order and timers. Slow path only: the warm path never touches it.
 */
import type { InvokeOutcome, InvokeRequest } from "../../../platform/src/protocol/invoke.ts";

export interface Waiter {
  readonly req: InvokeRequest;
  readonly enqueuedAt: number;
  /** Resolve the waiter's invocation (with an outcome, or the promise of running it). */
  resolve(o: InvokeOutcome | Promise<InvokeOutcome>): void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Called when a waiter has waited `timeoutMs`, with its position (0 = head). Return the outcome to
 * end its wait with, or undefined to let it wait another `timeoutMs`.
 */
export type OnWaitExpired = (w: Waiter, position: number) => InvokeOutcome | undefined;

export class WaitQueue {
  private readonly items: Waiter[] = [];

  constructor(
    private readonly timeoutMs: number,
    private readonly onExpired: OnWaitExpired,
    /** Called after an expired waiter left the queue. */
    private readonly onLeft: () => void,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Queue `req` at the tail; the promise settles when the pool shifts it out or its wait expires. */
  add(req: InvokeRequest): Promise<InvokeOutcome> {
    return new Promise<InvokeOutcome>((resolve) => {
      const w: Waiter = { req, resolve, timer: undefined, enqueuedAt: Date.now() };
      this.arm(w);
      this.items.push(w);
    });
  }

  /** Take the head out of the queue (its timer cleared); the caller must resolve it. */
  shift(): Waiter | undefined {
    const w = this.items.shift();
    if (w !== undefined) clearTimeout(w.timer);
    return w;
  }

  /** End every wait with `outcome` (a fresh copy each). */
  settleAll(outcome: InvokeOutcome): void {
    for (let w = this.shift(); w !== undefined; w = this.shift()) w.resolve({ ...outcome });
  }

  private arm(w: Waiter): void {
    w.timer = setTimeout(this.expire, this.timeoutMs, w);
    w.timer.unref();
  }

  private readonly expire = (w: Waiter): void => {
    const i = this.items.indexOf(w);
    if (i < 0) return;
    const outcome = this.onExpired(w, i);
    if (outcome === undefined) return this.arm(w);
    this.items.splice(i, 1);
    w.resolve(outcome);
    this.onLeft();
  };
}
