/**
 * A worker's hold on one invocation record: every write is fenced by the stamp (updatedAt) the
 * worker wrote last, and writes are serialized, so the heartbeat and the worker's own updates never
 * race each other. Once a write is refused the record has been taken over by another replica (this
 * one stalled past the stale threshold): `lost` turns true and nothing more is written or acked.
 */
import type { InvocationPatch, InvocationRecord, InvocationsRepository } from "../db/repositories/invocations.ts";

export class OwnedRecord {
  lost = false;
  private stamp: Date;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: InvocationsRepository,
    public record: InvocationRecord,
  ) {
    this.stamp = record.updatedAt;
  }

  get requestId(): string {
    return this.record.requestId;
  }

  /** Apply `patch` (an empty one is a heartbeat); false when the record is no longer ours. */
  write(patch: InvocationPatch): Promise<boolean> {
    const run = async () => {
      if (this.lost) return false;
      const next = new Date(Math.max(Date.now(), this.stamp.getTime() + 1));
      const ok = await this.repo.update(this.record.requestId, this.stamp, next, patch);
      if (!ok) {
        this.lost = true;
        return false;
      }
      this.stamp = next;
      this.record = { ...this.record, ...stripUndefined(patch), updatedAt: next };
      return true;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
