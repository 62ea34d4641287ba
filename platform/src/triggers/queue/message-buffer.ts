/**
 * The hand-over between a broker that pushes messages (a RabbitMQ consumer, a JetStream consume()
 * loop) and the Queue consumer that pulls batches: pushed messages wait here (the broker's
 * prefetch bounds how many) until take() asks; a broken connection fails every take() from then on.
 */
export class MessageBuffer<T> {
  private items: T[] = [];
  private waiter: (() => void) | undefined;
  private error: Error | undefined;

  push(item: T): void {
    this.items.push(item);
    this.notify();
  }

  /** The connection broke: take() rejects with `error` from now on. */
  fail(error: Error): void {
    this.error ??= error;
    this.notify();
  }

  /** Everything not taken yet (to hand back on close). */
  drain(): T[] {
    return this.items.splice(0);
  }

  /** Up to `max` items, waiting up to `waitMs` for the first; [] when the wait ends or `signal` aborts. */
  async take(max: number, waitMs: number, signal: AbortSignal): Promise<T[]> {
    if (this.items.length === 0 && !this.error && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          signal.removeEventListener("abort", done);
          this.waiter = undefined;
          resolve();
        };
        const t = setTimeout(done, waitMs);
        signal.addEventListener("abort", done, { once: true });
        this.waiter = done;
      });
    }
    if (this.error) throw this.error;
    return this.items.splice(0, max);
  }

  private notify(): void {
    this.waiter?.();
  }
}
