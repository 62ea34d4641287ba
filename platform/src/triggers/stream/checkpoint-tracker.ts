/**
 * The checkpoint of one window of records processed by several lanes at once: records finish out
 * of window order (lanes run in parallel), but the checkpoint only ever names a record before which
 * every record of the window has finished (succeeded, or been handed to the on-failure
 * destination). Writes are serialized; a failed write is retried by the next one and by flush().
 */
import type { StreamRecord } from "./kinesis-event.ts";

export class CheckpointTracker {
  private readonly finished = new Set<string>();
  /** Records [0, next) of the window are finished. */
  private next = 0;
  private written = -1;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly window: readonly StreamRecord[],
    private readonly write: (sequenceNumber: string) => Promise<void>,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** The sequence number the checkpoint may name now, if any record has finished in order. */
  get position(): string | undefined {
    return this.next === 0 ? undefined : this.window[this.next - 1]!.sequenceNumber;
  }

  /** Mark records finished and store the checkpoint if it moved (errors go to onError; flush() retries). */
  finish(records: readonly StreamRecord[]): Promise<void> {
    for (const r of records) this.finished.add(r.sequenceNumber);
    while (this.next < this.window.length && this.finished.has(this.window[this.next]!.sequenceNumber)) this.next++;
    return this.persist().then(
      () => undefined,
      (e) => this.onError(e),
    );
  }

  /** Store the current position unless stored already; rejects when the write fails. */
  persist(): Promise<void> {
    const run = async () => {
      const target = this.next - 1;
      if (target <= this.written) return;
      await this.write(this.window[target]!.sequenceNumber);
      this.written = Math.max(this.written, target);
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }
}
