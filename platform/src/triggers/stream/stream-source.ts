/**
 * A Stream trigger's view of its broker, one implementation per source (redis-stream-source.ts,
 * nats-stream-source.ts): read records in order after the stored checkpoint, store a new
 * checkpoint (durably, in the broker, never moving backwards), and deliver on-failure records.
 */
import type { StreamFailureRecord, StreamOrigin, StreamRecord } from "./kinesis-event.ts";

export interface StreamSource extends StreamOrigin {
  /**
   * Connect and position the reader just after the stored checkpoint; without one, at the
   * trigger's startingPosition (LATEST is pinned: the current end is stored as the checkpoint, so
   * a restart does not skip what arrived meanwhile).
   */
  open(): Promise<void>;
  /** Up to `max` records after the last ones read, waiting up to about `waitMs` for the first. */
  read(max: number, waitMs: number): Promise<StreamRecord[]>;
  /** Store `sequenceNumber` as the last processed record; a lower one than stored is ignored. */
  checkpoint(sequenceNumber: string): Promise<void>;
  /** Deliver an on-failure record to the trigger's onFailure destination. */
  sendFailure(record: StreamFailureRecord): Promise<void>;
  close(): Promise<void>;
  /**
   * Delete the stored checkpoint, once the trigger is gone or reads another stream, so nothing of
   * it outlives it (called with the trigger's lease held and its consumer stopped). Opens a
   * connection of its own: the source need not be open.
   */
  forgetCheckpoint(): Promise<void>;
}
