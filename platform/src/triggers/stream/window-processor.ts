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
 *   without using up a retry;
 * - `maximumRecordAgeInSeconds`: before every attempt (the first and each retry) the batch's records
 *   older than that (by the broker's arrival time) are taken out of it and handed to the on-failure
 *   destination (condition RecordAgeExceeded; dropped without one), so a failing batch is retried
 *   until its records expire, as Lambda does; the rest of the batch goes on.
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
  /** Records older than this many ms (since they arrived) are not invoked but sent to onFailure; -1: no limit. */
  maximumRecordAgeMs: number;
  /** The clock records' ages are measured on, in ms since the epoch. */
  now(): number;
  invoke(batch: readonly StreamRecord[]): Promise<BatchOutcome>;
  /**
   * Hand records to the on-failure destination (a rejection is retried): a batch whose retries ran
   * out, or records too old to invoke (`last` is undefined when none of them reached the function).
   */
  sendFailure(batch: readonly StreamRecord[], failure: DiscardedBatch): Promise<void>;
  checkpoint(sequenceNumber: string): Promise<void>;
  /** The wait before the n-th retry (n from 1), also used between failed checkpoint or destination writes. */
  retryDelayMs(n: number): number;
  onError(e: unknown, what: string): void;
  /** Aborted: stop at the next wait; what has not finished is not checkpointed. */
  signal: AbortSignal;
}

/** Why records were discarded, and how far they got, for the on-failure record. */
export interface DiscardedBatch {
  condition: "RetryAttemptsExhausted" | "RecordAgeExceeded";
  /** The last attempt that reached the function, if any did. */
  last?: AttemptContext;
  /** Attempts at the records that reached the function. */
  approximateInvokeCount: number;
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
    if (!(await runBatch(lane.slice(i, i + o.batchSize), { retries: 0, invokes: 0 }, tracker, o))) return false;
  }
  return true;
}

/** How far a batch got; a half of a bisected batch starts where the batch was. */
interface BatchProgress {
  retries: number;
  invokes: number;
  last?: AttemptContext;
}

/** Process one batch to its end (success, or on-failure). */
async function runBatch(batch: readonly StreamRecord[], from: BatchProgress, tracker: CheckpointTracker, o: WindowProcessorOptions): Promise<boolean> {
  let { retries, invokes, last } = from;
  let throttled = 0;
  for (;;) {
    if (o.signal.aborted) return false;
    const expired = o.maximumRecordAgeMs === -1 ? [] : batch.filter((r) => r.arrivedAt < o.now() - o.maximumRecordAgeMs);
    if (expired.length > 0) {
      if (!(await deliverFailure(expired, { condition: "RecordAgeExceeded", last, approximateInvokeCount: invokes }, o))) return false;
      await tracker.finish(expired);
      batch = batch.filter((r) => !expired.includes(r));
      if (batch.length === 0) return true;
    }
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
    last = out.attempt;
    if (out.kind === "partial") {
      const at = batch.findIndex((r) => r.sequenceNumber === out.failedSequenceNumber);
      if (at > 0) {
        await tracker.finish(batch.slice(0, at));
        batch = batch.slice(at);
      }
    } else if (o.bisectBatchOnFunctionError && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      const at = { retries, invokes, last };
      return (await runBatch(batch.slice(0, half), at, tracker, o)) && (await runBatch(batch.slice(half), at, tracker, o));
    }
    retries++;
    if (o.maximumRetryAttempts !== -1 && retries > o.maximumRetryAttempts) {
      if (!(await deliverFailure(batch, { condition: "RetryAttemptsExhausted", last, approximateInvokeCount: invokes }, o))) return false;
      await tracker.finish(batch);
      return true;
    }
    if (!(await sleep(o.retryDelayMs(retries), o.signal))) return false;
  }
}

/** Send the on-failure record, retrying until it is delivered; false when stopped first. */
async function deliverFailure(batch: readonly StreamRecord[], failure: DiscardedBatch, o: WindowProcessorOptions): Promise<boolean> {
  for (let n = 1; ; n++) {
    try {
      await o.sendFailure(batch, failure);
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
