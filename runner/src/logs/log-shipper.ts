/**
 * Ships function-log records to the state store, off the invocation path: records collect into a
 * batch that is appended to FUNCTION_LOGS_STREAM (one `xadd`, field `rows`: each invocation's lines
 * in the batch as one row, see protocol/function-log-rows.ts) when it reaches `batchRecords` or
 * `flushMs` after its first record (or a record comes LOG_PACK_SPAN_MS after it), one append in
 * flight at a time. Memory stays
 * bounded when the store is slow or down: past `maxQueuedBytes` the oldest batches are dropped,
 * counted, and reported once per `reportMs`. close() ships what is left, within a deadline.
 */
import { FUNCTION_LOGS_STREAM, FUNCTION_LOGS_STREAM_MAX_LEN, type FunctionLogRecord, type FunctionLogSink } from "../../../protocol/function-logs.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { LOG_PACK_SPAN_MS, rowsOf } from "../../../protocol/function-log-rows.ts";

export interface LogShipperLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LogShipperOptions {
  state: Pick<StateStore, "xadd">;
  log: LogShipperLog;
  /** @default 200 */
  flushMs?: number;
  /** @default 500 */
  batchRecords?: number;
  /** Bytes of records waiting to ship (estimated) before the oldest batches are dropped. @default 32 MiB */
  maxQueuedBytes?: number;
  /** How often drops and shipped counts are reported. @default 10 000 */
  reportMs?: number;
  /** Wait after a failed append before trying again. @default 1000 */
  retryMs?: number;
}

interface Batch {
  records: FunctionLogRecord[];
  bytes: number;
}

/** Per-record overhead beyond its message in the JSON text (field names, ids, timestamps). */
const RECORD_OVERHEAD_BYTES = 160;

export class LogShipper implements FunctionLogSink {
  private current: Batch = { records: [], bytes: 0 };
  private readonly queue: Batch[] = [];
  private queuedBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;
  private droppedBatches = 0;
  private droppedRecords = 0;
  private shipped = 0;
  /** Counts as of the last report, so each report says what happened since the one before. */
  private reported = { droppedBatches: 0, droppedRecords: 0, shipped: 0 };
  private failing = false;
  private readonly reportTimer: NodeJS.Timeout;
  private readonly flushMs: number;
  private readonly batchRecords: number;
  private readonly maxQueuedBytes: number;

  constructor(private readonly opts: LogShipperOptions) {
    this.flushMs = opts.flushMs ?? 200;
    this.batchRecords = opts.batchRecords ?? 500;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 32 * 1024 * 1024;
    this.reportTimer = setInterval(() => this.report(), opts.reportMs ?? 10_000);
    this.reportTimer.unref();
  }

  write(records: readonly FunctionLogRecord[]): void {
    if (this.closed) return;
    for (const r of records) {
      // A pack spans less than LOG_PACK_SPAN_MS (readers widen `since` by it), however late the timer.
      if (this.current.records.length > 0 && r.at - this.current.records[0]!.at >= LOG_PACK_SPAN_MS) this.seal();
      this.current.records.push(r);
      const bytes = r.message.length + RECORD_OVERHEAD_BYTES;
      this.current.bytes += bytes;
      this.queuedBytes += bytes;
      if (this.current.records.length >= this.batchRecords) this.seal();
    }
    if (this.current.records.length > 0 && this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.seal();
      }, this.flushMs);
      this.flushTimer.unref();
    }
    this.bound();
  }

  /** Records shipped, batches and records dropped so far (tests, reports). */
  stats(): { shipped: number; droppedBatches: number; droppedRecords: number; queuedBytes: number } {
    return { shipped: this.shipped, droppedBatches: this.droppedBatches, droppedRecords: this.droppedRecords, queuedBytes: this.queuedBytes };
  }

  /** Ship everything written so far; resolves when it is appended, or rejected with the store's error. */
  async flush(): Promise<void> {
    this.seal();
    while (this.queue.length > 0 || this.sending) {
      if (!this.sending) this.pump();
      await this.sending;
      if (this.failing) throw new Error("the state store refused the function-log batch");
    }
  }

  /** Stop taking records and ship what is left, waiting at most `deadlineMs`. */
  async close(deadlineMs = 3000): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([this.flush().catch(() => {}), deadline]);
    this.closed = true;
    clearTimeout(timer);
    clearTimeout(this.flushTimer);
    clearTimeout(this.retryTimer);
    clearInterval(this.reportTimer);
    this.report();
  }

  private seal(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.current.records.length === 0) return;
    this.queue.push(this.current);
    this.current = { records: [], bytes: 0 };
    if (!this.sending && this.retryTimer === undefined) this.pump();
  }

  /** Drop the oldest waiting batches while over the memory bound. */
  private bound(): void {
    while (this.queuedBytes > this.maxQueuedBytes && this.queue.length > 0) {
      // The head may be the batch in flight; it is already serialised, so dropping it frees nothing.
      const i = this.sending && this.queue.length > 1 ? 1 : this.sending ? -1 : 0;
      if (i < 0) break;
      const [b] = this.queue.splice(i, 1);
      this.queuedBytes -= b.bytes;
      this.droppedBatches++;
      this.droppedRecords += b.records.length;
    }
  }

  private pump(): void {
    const batch = this.queue[0];
    if (batch === undefined || this.closed || this.sending) return;
    this.sending = this.opts.state
      .xadd(FUNCTION_LOGS_STREAM, { rows: JSON.stringify(rowsOf(batch.records)) }, { maxLen: FUNCTION_LOGS_STREAM_MAX_LEN })
      .then(
        () => {
          if (this.queue[0] === batch) this.queue.shift();
          this.queuedBytes -= batch.bytes;
          this.shipped += batch.records.length;
          this.failing = false;
          this.sending = undefined;
          if (this.queue.length > 0) this.pump();
        },
        (e: Error) => {
          this.sending = undefined;
          if (!this.failing) this.opts.log.warn({ err: e.message }, "cannot append function logs to the state store; retrying, dropping the oldest when the queue is full");
          this.failing = true;
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.pump();
          }, this.opts.retryMs ?? 1000);
          this.retryTimer.unref();
        },
      );
  }

  private report(): void {
    const last = this.reported;
    if (this.droppedBatches > last.droppedBatches) {
      this.opts.log.warn(
        { droppedBatches: this.droppedBatches - last.droppedBatches, droppedRecords: this.droppedRecords - last.droppedRecords },
        "dropped function-log batches: the state store is slow or down",
      );
    }
    if (this.shipped > last.shipped) this.opts.log.debug({ records: this.shipped - last.shipped }, "shipped function-log records");
    this.reported = { droppedBatches: this.droppedBatches, droppedRecords: this.droppedRecords, shipped: this.shipped };
  }
}
