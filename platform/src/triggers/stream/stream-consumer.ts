/**
 * The consumer of one Stream trigger on the replica that holds its lease (stream-engine.ts): it opens the
 * trigger's source (positioned after the stored checkpoint), reads a window of up to
 * `batchSize × parallelizationFactor` records, processes it (window-processor.ts) and reads the
 * next. A broker that is down or an error of the source closes the source and reopens it after a
 * backoff (up to 30 s), resuming from the stored checkpoint; nothing here throws out. stop() ends
 * it at the next wait: records not yet finished are left for whoever resumes from the checkpoint.
 */
import { randomUUID } from "node:crypto";
import type { StreamTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { failureRecord, type StreamRecord } from "./kinesis-event.ts";
import { invokeBatch, type BatchInvokerDeps, type StreamTarget } from "./batch-invoker.ts";
import type { StreamSource } from "./stream-source.ts";
import { processWindow, sleep } from "./window-processor.ts";

/** The most records one window holds, whatever batchSize × parallelizationFactor. */
export const MAX_WINDOW = 10_000;

export interface StreamConsumerOptions extends BatchInvokerDeps {
  target: StreamTarget;
  config: StreamTriggerConfig;
  source: StreamSource;
  /** How long one read waits for records. */
  readWaitMs: number;
  /** The wait before the n-th retry of a batch (and between reconnects). */
  retryDelayMs(n: number): number;
  log: { warn(obj: object, msg: string): void };
  /** The clock record ages (maximumRecordAgeInSeconds) are measured on. @default Date.now */
  now?: () => number;
}

/** Lambda-like: 0.5 s doubling to 30 s. */
export function defaultRetryDelayMs(n: number): number {
  return Math.min(500 * 2 ** Math.max(0, n - 1), 30_000);
}

export class StreamConsumer {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly o: StreamConsumerOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { config, source, target } = this.o;
    const window = Math.min(MAX_WINDOW, config.batchSize * config.parallelizationFactor);
    for (let failures = 0; !this.abort.signal.aborted; ) {
      try {
        await source.open();
        while (!this.abort.signal.aborted) {
          const records = await source.read(window, this.o.readWaitMs);
          failures = 0;
          if (records.length === 0 || this.abort.signal.aborted) continue;
          if (!(await this.process(records))) break;
        }
      } catch (e) {
        if (this.abort.signal.aborted) break;
        failures++;
        this.o.log.warn({ err: e, trigger: target.triggerId, attempt: failures }, "stream trigger source failed; reopening it after a backoff");
        await source.close().catch(() => undefined);
        await sleep(this.o.retryDelayMs(failures), this.abort.signal);
        continue;
      }
    }
    await source.close().catch(() => undefined);
  }

  private process(records: StreamRecord[]): Promise<boolean> {
    const { config, source, target } = this.o;
    return processWindow(records, {
      batchSize: config.batchSize,
      parallelizationFactor: config.parallelizationFactor,
      bisectBatchOnFunctionError: config.bisectBatchOnFunctionError,
      maximumRetryAttempts: config.maximumRetryAttempts,
      maximumRecordAgeMs: config.maximumRecordAgeInSeconds === -1 ? -1 : config.maximumRecordAgeInSeconds * 1000,
      now: this.o.now ?? Date.now,
      invoke: (batch) => invokeBatch(this.o, target, source, batch),
      sendFailure: async (batch, { condition, last, approximateInvokeCount }) => {
        if (!config.onFailure) {
          const why = condition === "RecordAgeExceeded" ? "they are older than maximumRecordAgeInSeconds" : "its retries ran out";
          this.o.log.warn({ trigger: target.triggerId, first: batch[0]!.sequenceNumber, last: batch[batch.length - 1]!.sequenceNumber }, `stream records dropped: ${why} and the trigger has no onFailure destination`);
          return;
        }
        const context = { requestId: last?.requestId ?? randomUUID(), functionName: target.functionName, qualifier: target.qualifier, condition, approximateInvokeCount };
        await source.sendFailure(failureRecord(source, batch, last ? { ...context, response: last } : context));
      },
      checkpoint: (seq) => source.checkpoint(seq),
      retryDelayMs: this.o.retryDelayMs,
      onError: (e, what) => this.o.log.warn({ err: e, trigger: target.triggerId }, `stream trigger: ${what} failed; retrying`),
      signal: this.abort.signal,
    });
  }
}
