/**
 * Group commit of Queued invocation records: enqueues that arrive while a record insert is in
 * flight wait for it and are then written together in one INSERT (one commit), so the cost of a
 * commit is shared under load (on the embedded PGlite, which runs one statement at a time in the
 * control plane's process, a commit is most of an enqueue's cost), while a lone enqueue is written
 * at once. Each caller learns whether its request id was new, exactly as with one insert each; the
 * same request id twice in one batch is new only for the first.
 */
import type { InvocationsRepository, NewInvocation } from "../db/repositories/invocations.ts";

interface Waiting {
  input: NewInvocation;
  resolve(created: boolean): void;
  reject(e: unknown): void;
}

/** At most this many records per INSERT. */
const MAX_BATCH = 200;

export class QueuedRecords {
  private waiting: Waiting[] = [];
  private writing = false;

  constructor(private readonly repo: Pick<InvocationsRepository, "createQueuedMany">) {}

  /** Insert a Queued record; false when the request id already had one. */
  create(input: NewInvocation): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        const first = new Map<string, Waiting>();
        for (const w of batch) if (!first.has(w.input.requestId)) first.set(w.input.requestId, w);
        try {
          const created = await this.repo.createQueuedMany([...first.values()].map((w) => w.input));
          for (const w of batch) w.resolve(first.get(w.input.requestId) === w && created.has(w.input.requestId));
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
