/**
 * Group commit of Queued invocation records: concurrent enqueues are written together in one
 * INSERT (one commit), so the cost of a commit is shared under load, and each caller learns whether
 * its request id was new, exactly as with one insert each (the same request id twice in one batch
 * is new only for the first).
 *
 * A batch starts one event-loop turn (setImmediate) after the first record waiting for it, never
 * at once. On the embedded PGlite a statement runs synchronously in this process's thread, so
 * while it runs no request is read: starting a batch at once would write the first request alone,
 * block the loop, then write the next one alone (about one record per commit). Waiting one turn
 * lets the poll phase read every request that arrived meanwhile, and they all join the batch. A
 * lone enqueue pays one turn (microseconds).
 */
import type { InvocationsRepository, NewInvocation } from "../db/repositories/invocations.ts";

interface Waiting {
  input: NewInvocation;
  resolve(created: boolean): void;
  reject(e: unknown): void;
}

/** At most this many records per INSERT. */
const MAX_BATCH = 500;

export class QueuedRecords {
  private waiting: Waiting[] = [];
  private writing = false;
  private scheduled = false;

  constructor(private readonly repo: Pick<InvocationsRepository, "createQueuedMany">) {}

  /** Insert a Queued record; false when the request id already had one. */
  create(input: NewInvocation): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.write();
    });
  }

  private async write(): Promise<void> {
    this.writing = true;
    const batch = this.waiting.splice(0, MAX_BATCH);
    try {
      const first = new Map<string, Waiting>();
      for (const w of batch) if (!first.has(w.input.requestId)) first.set(w.input.requestId, w);
      const created = await this.repo.createQueuedMany([...first.values()].map((w) => w.input));
      for (const w of batch) w.resolve(first.get(w.input.requestId) === w && created.has(w.input.requestId));
    } catch (e) {
      for (const w of batch) w.reject(e);
    } finally {
      this.writing = false;
      if (this.waiting.length > 0) this.schedule();
    }
  }
}
