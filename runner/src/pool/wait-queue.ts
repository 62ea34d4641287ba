/**
 * The FIFO of invocations waiting for an instance slot (at the instance cap, or while instances
 * start), each with a deadline. The pool decides what happens when a wait is up (a waiter covered
 * by a start in progress keeps waiting), so this only owns order and deadlines.
 */
import type { InvokeOutcome, InvokeRequest } from "../../../protocol/invoke.ts";
import { EarliestTimer } from "./deadlines.ts";

export interface Waiter {
  readonly req: InvokeRequest;
  readonly enqueuedAt: number;
  /** Resolve the waiter's invocation (with an outcome, or the promise of running it). */
  resolve(o: InvokeOutcome | Promise<InvokeOutcome>): void;
  /** Date.now() at which its wait is up. */
  deadline: number;
}

/**
 * Called when a waiter has waited `timeoutMs`, with its position (0 = head). Return the outcome to
 * end its wait with, or undefined to let it wait another `timeoutMs`.
 */
export type OnWaitExpired = (w: Waiter, position: number) => InvokeOutcome | undefined;

/**
 * One timer for the whole queue, set for the earliest deadline (waiters arrive in deadline order),
 * rather than one per waiter: a waiter costs no timer to queue or to leave. A timer that finds its
 * waiter gone re-arms for the next deadline.
 */
export class WaitQueue {
  private readonly items: Waiter[] = [];
  private readonly timer = new EarliestTimer(() => this.expire());

  constructor(
    private readonly timeoutMs: number,
    private readonly onExpired: OnWaitExpired,
    /** Called after expired waiters left the queue. */
    private readonly onLeft: () => void,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Queue `req` at the tail; the promise settles when the pool shifts it out or its wait expires. */
  add(req: InvokeRequest): Promise<InvokeOutcome> {
    return new Promise<InvokeOutcome>((resolve) => {
      const now = Date.now();
      const w: Waiter = { req, resolve, enqueuedAt: now, deadline: now + this.timeoutMs };
      this.items.push(w);
      this.timer.armFor(w.deadline);
    });
  }

  /** Take the head out of the queue; the caller must resolve it. */
  shift(): Waiter | undefined {
    return this.items.shift();
  }

  /** End every wait with `outcome` (a fresh copy each). */
  settleAll(outcome: InvokeOutcome): void {
    this.timer.clear();
    for (const w of this.items.splice(0)) w.resolve({ ...outcome });
  }

  private expire(): void {
    const now = Date.now();
    let next = Infinity;
    let left = false;
    for (let i = 0; i < this.items.length; ) {
      const w = this.items[i]!;
      if (w.deadline > now) {
        if (w.deadline < next) next = w.deadline;
        i++;
        continue;
      }
      const outcome = this.onExpired(w, i);
      if (outcome === undefined) {
        w.deadline = now + this.timeoutMs;
        if (w.deadline < next) next = w.deadline;
        i++;
        continue;
      }
      this.items.splice(i, 1);
      w.resolve(outcome);
      left = true;
    }
    if (next !== Infinity) this.timer.armFor(next);
    if (left) this.onLeft();
  }
}
