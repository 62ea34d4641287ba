/**
 * A receiver's timers (retry delays, periodic claims and heartbeats) in one place, so close()
 * cancels every one of them at once and none fires into a closed connection. A callback's
 * rejection is swallowed: what it did not do, the broker's redelivery makes up for.
 */
export class DelayedWork {
  private readonly timers = new Set<NodeJS.Timeout>();
  private cancelled = false;

  /** Run `fn` once after `ms`, unless cancelled first. */
  after(ms: number, fn: () => Promise<unknown>): void {
    if (this.cancelled) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.cancelled) void fn().catch(() => undefined);
    }, ms);
    this.timers.add(t);
  }

  /** Run `fn` every `ms` (not keeping the process alive) until cancelled. */
  every(ms: number, fn: () => Promise<unknown>): void {
    if (this.cancelled) return;
    const t = setInterval(() => void fn().catch(() => undefined), ms);
    t.unref();
    this.timers.add(t);
  }

  get isCancelled(): boolean {
    return this.cancelled;
  }

  cancel(): void {
    this.cancelled = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
