/**
 * Processes one window of a shard's records the way Lambda's Kinesis event source mapping does:
 *
 * - ordering: records are spread over `parallelizationFactor` lanes by a hash (MD5, as Kinesis) of
 *   their partition key, so records with the same key always share a lane; a lane runs its batches
 *   (`batchSize` records, in stream order) one after the other, different lanes at once;
 * - the checkpoint moves only past records that finished (CheckpointTracker): succeeded, or handed
 *   to the on-failure destination after their retries ran out;
 * - a function error retries the batch after a backoff; with `bisectBatchOnFunctionError` the
 *   batch is split in two and each half processed on its own first (a split is not a retry), down
 *   to single records; `maximumRetryAttempts` retries later (-1: forever) the batch goes to the
 *   on-failure destination (when there is none it is dropped) and the checkpoint moves past it;
 * - `{batchItemFailures: [{itemIdentifier}]}`: the records before the first failed one are done,
 *   and the batch is retried from that record (a retry);
 * - throttles and errors before the function ran (not counted) are retried with backoff forever
 *   without using up a retry.
 * The next window is read only after this one has finished and its checkpoint is stored.
 */
import { createHash } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { CheckpointTracker } from "./checkpoint-tracker.ts";
import type { StreamRecord } from "./kinesis-event.ts";

/** What one attempt at a batch reached, for the on-failure record. */
export interface AttemptContext {
  requestId: string;
  statusCode: number;
  executedVersion?: string;
  functionError?: string;
}

export type BatchOutcome =
  | { kind: "success" }
  /** The function reported batchItemFailures; `failedSequenceNumber` is the first failed record of the batch. */
  | { kind: "partial"; failedSequenceNumber: string; attempt: AttemptContext }
  /** The whole batch failed; `counted` false when the function did not run (throttled, no capacity). */
  | { kind: "failure"; counted: boolean; attempt: AttemptContext };

export interface WindowProcessorOptions {
  batchSize: number;
  parallelizationFactor: number;
  bisectBatchOnFunctionError: boolean;
  maximumRetryAttempts: number;
  invoke(batch: readonly StreamRecord[]): Promise<BatchOutcome>;
  /** Hand a batch whose retries ran out to the on-failure destination; a rejection is retried. */
  sendFailure(batch: readonly StreamRecord[], last: AttemptContext, approximateInvokeCount: number): Promise<void>;
  checkpoint(sequenceNumber: string): Promise<void>;
  /** The wait before the n-th retry (n from 1), also used between failed checkpoint or destination writes. */
  retryDelayMs(n: number): number;
  onError(e: unknown, what: string): void;
  /** Aborted: stop at the next wait; what has not finished is not checkpointed. */
  signal: AbortSignal;
}

/** Lane of a partition key among `lanes`. */
export function laneOf(partitionKey: string, lanes: number): number {
  if (lanes <= 1) return 0;
  return createHash("md5").update(partitionKey).digest().readUInt32BE(0) % lanes;
}

/** True when every record finished and the checkpoint is stored past them; false when stopped first. */
export async function processWindow(window: readonly StreamRecord[], o: WindowProcessorOptions): Promise<boolean> {
  const tracker = new CheckpointTracker(window, (seq) => o.checkpoint(seq), (e) => o.onError(e, "storing the checkpoint"));
  const lanes: StreamRecord[][] = Array.from({ length: o.parallelizationFactor }, () => []);
  for (const r of window) lanes[laneOf(r.partitionKey, lanes.length)]!.push(r);
  const results = await Promise.allSettled(lanes.filter((l) => l.length > 0).map((lane) => runLane(lane, tracker, o)));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  if (results.some((r) => r.status === "fulfilled" && !r.value)) return false;
  for (let n = 1; ; n++) {
    try {
      await tracker.persist();
      return true;
    } catch (e) {
      o.onError(e, "storing the checkpoint");
      if (!(await sleep(o.retryDelayMs(n), o.signal))) return false;
    }
  }
}

async function runLane(lane: readonly StreamRecord[], tracker: CheckpointTracker, o: WindowProcessorOptions): Promise<boolean> {
  for (let i = 0; i < lane.length; i += o.batchSize) {
    if (!(await runBatch(lane.slice(i, i + o.batchSize), 0, 0, tracker, o))) return false;
  }
  return true;
}

/** Process one batch to its end (success, or on-failure); `retries` and `invokes` carry over from the batch it was split from. */
async function runBatch(batch: readonly StreamRecord[], retries: number, invokes: number, tracker: CheckpointTracker, o: WindowProcessorOptions): Promise<boolean> {
  let throttled = 0;
  for (;;) {
    if (o.signal.aborted) return false;
    const out = await o.invoke(batch);
    if (out.kind === "success") {
      await tracker.finish(batch);
      return true;
    }
    if (out.kind === "failure" && !out.counted) {
      if (!(await sleep(o.retryDelayMs(++throttled), o.signal))) return false;
      continue;
    }
    throttled = 0;
    invokes++;
    if (out.kind === "partial") {
      const at = batch.findIndex((r) => r.sequenceNumber === out.failedSequenceNumber);
      if (at > 0) {
        await tracker.finish(batch.slice(0, at));
        batch = batch.slice(at);
      }
    } else if (o.bisectBatchOnFunctionError && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      return (await runBatch(batch.slice(0, half), retries, invokes, tracker, o)) && (await runBatch(batch.slice(half), retries, invokes, tracker, o));
    }
    retries++;
    if (o.maximumRetryAttempts !== -1 && retries > o.maximumRetryAttempts) {
      if (!(await deliverFailure(batch, out.attempt, invokes, o))) return false;
      await tracker.finish(batch);
      return true;
    }
    if (!(await sleep(o.retryDelayMs(retries), o.signal))) return false;
  }
}

/** Send the on-failure record, retrying until it is delivered; false when stopped first. */
async function deliverFailure(batch: readonly StreamRecord[], last: AttemptContext, invokes: number, o: WindowProcessorOptions): Promise<boolean> {
  for (let n = 1; ; n++) {
    try {
      await o.sendFailure(batch, last, invokes);
      return true;
    } catch (e) {
      o.onError(e, "delivering the on-failure record");
      if (!(await sleep(o.retryDelayMs(n), o.signal))) return false;
    }
  }
}

/** Resolves true after `ms`, false at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return delay(ms, true, { signal }).catch(() => false);
}
