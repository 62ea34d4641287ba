/**
 * One Queue trigger's consumer (an event source mapping): it gathers batches of up to `batchSize`
 * messages (waiting up to `maximumBatchingWindowInSeconds` to fill one), runs at most
 * `maxConcurrency` batches at once (across every replica when given `slots`: batch-slots.ts), and settles every message from the function's answer: acked
 * after success only; a failed one (the handler threw or timed out: the whole batch; or named in
 * `batchItemFailures`) is delivered again after a doubling delay until it has been received
 * `maxReceiveCount` times, then dead-lettered (or, without a dead-letter destination, dropped with
 * a warning). A broken broker connection is reopened with backoff and logged once per outage;
 * nothing here throws into the process. stop() stops receiving, lets running batches finish, closes.
 */
import type { QueueTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { sleep } from "../../async/async-workers.ts";
import type { BatchSlot, BatchSlots } from "./batch-slots.ts";
import { failedMessageIds, queueEvent } from "./queue-event.ts";
import { retryDelay, type OpenReceiver, type QueueMessage, type QueueReceiver } from "./queue-source.ts";

/** What one batch invocation came to: the function's answer, or why the whole batch failed. */
export type BatchOutcome = { ok: true; answer: string } | { ok: false; error: string };

export interface QueueTriggerRef {
  id: string;
  functionName: string;
  qualifier: string;
  config: QueueTriggerConfig;
}

export interface QueueConsumerOptions {
  trigger: QueueTriggerRef;
  open: OpenReceiver;
  /** Run one batch through the invocation pipeline. Never rejects. */
  invokeBatch(trigger: QueueTriggerRef, event: Buffer): Promise<BatchOutcome>;
  /** The first retry's delay (HOTSWAP_QUEUE_RETRY_DELAY). */
  retryDelayMs: number;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /**
   * The trigger's cluster-wide batch slots: one is taken before each receive and given back once the
   * batch is settled (or nothing came). Without it, maxConcurrency counts this consumer's batches only.
   */
  slots?: BatchSlots;
  /** How long one receive waits when the queue is empty. @default 1000 */
  idleWaitMs?: number;
}

const MAX_RECONNECT_DELAY_MS = 30_000;

export class QueueConsumer {
  private receiver: QueueReceiver | undefined;
  private readonly abort = new AbortController();
  private readonly batches = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private down = false;

  constructor(private readonly o: QueueConsumerOptions) {}

  get trigger(): QueueTriggerRef {
    return this.o.trigger;
  }

  /** Batches running now. */
  get running(): number {
    return this.batches.size;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stop receiving, wait up to `graceMs` for running batches, close the connection. */
  async stop(graceMs = 30_000): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.loop;
    const grace = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([Promise.allSettled([...this.batches]), grace]);
    await this.closeReceiver();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      if (this.batches.size >= this.o.trigger.config.maxConcurrency) {
        await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      let slot: BatchSlot | undefined;
      try {
        const receiver = (this.receiver ??= await this.o.open());
        if (this.down) this.o.log.info({ trigger: this.o.trigger.id }, "queue broker reachable again; consuming");
        this.down = false;
        failures = 0;
        if (this.o.slots && !(slot = await this.o.slots.take(signal))) break;
        const batch = await this.gather(receiver, signal);
        if (batch.length > 0) {
          this.dispatch(receiver, batch, slot);
          slot = undefined;
        }
      } catch (e) {
        if (signal.aborted) break;
        if (!this.down) this.o.log.warn({ err: e, trigger: this.o.trigger.id, source: this.o.trigger.config.source }, "queue broker (or the state store holding its concurrency slots) unreachable, or the broker refused the trigger's queue; retrying with backoff (logged once until it works again)");
        this.down = true;
        await this.closeReceiver();
        await sleep(Math.min(500 * 2 ** Math.min(failures++, 6), MAX_RECONNECT_DELAY_MS), signal);
      } finally {
        await slot?.release();
      }
    }
  }

  /** Up to batchSize messages: the first wait is open-ended, then the batching window fills the batch. */
  private async gather(receiver: QueueReceiver, signal: AbortSignal): Promise<QueueMessage[]> {
    const { batchSize, maximumBatchingWindowInSeconds } = this.o.trigger.config;
    const batch = await receiver.receive(batchSize, this.o.idleWaitMs ?? 1000, signal);
    if (batch.length === 0 || maximumBatchingWindowInSeconds === 0) return batch;
    const deadline = Date.now() + maximumBatchingWindowInSeconds * 1000;
    while (batch.length < batchSize && !signal.aborted) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      batch.push(...(await receiver.receive(batchSize - batch.length, left, signal)));
    }
    return batch;
  }

  private dispatch(receiver: QueueReceiver, batch: QueueMessage[], slot: BatchSlot | undefined): void {
    const task = this.process(receiver, batch)
      .catch((e) => this.o.log.warn({ err: e, trigger: this.o.trigger.id }, "settling a queue batch failed; its unsettled messages are delivered again"))
      .finally(async () => {
        await slot?.release();
        this.batches.delete(task);
        this.wake?.();
        this.wake = undefined;
      });
    this.batches.add(task);
  }

  private async process(receiver: QueueReceiver, batch: QueueMessage[]): Promise<void> {
    const t = this.o.trigger;
    const event = Buffer.from(JSON.stringify(queueEvent(t.id, t.config, batch)));
    const outcome = await this.o.invokeBatch(t, event);
    let failed: Set<string>;
    let why: string;
    if (outcome.ok) {
      const verdict = failedMessageIds(outcome.answer, batch.map((m) => m.messageId));
      failed = verdict.failed;
      why = verdict.invalid ?? "named in batchItemFailures";
      if (verdict.invalid) this.o.log.warn({ trigger: t.id, reason: verdict.invalid }, "the function's partial batch response is invalid; the whole batch failed");
    } else {
      failed = new Set(batch.map((m) => m.messageId));
      why = outcome.error;
    }
    await Promise.all(batch.map((m) => this.settle(receiver, m, failed.has(m.messageId) ? why : undefined)));
  }

  private async settle(receiver: QueueReceiver, m: QueueMessage, failure: string | undefined): Promise<void> {
    const t = this.o.trigger;
    try {
      if (failure === undefined) return await receiver.ack(m);
      if (m.receiveCount < t.config.maxReceiveCount) return await receiver.retry(m, retryDelay(this.o.retryDelayMs, m.receiveCount));
      if (t.config.deadLetter) return await receiver.deadLetter(m, failure);
      this.o.log.warn({ trigger: t.id, messageId: m.messageId, receiveCount: m.receiveCount }, "queue message failed maxReceiveCount times and the trigger has no deadLetter; dropped");
      await receiver.ack(m);
    } catch (e) {
      this.o.log.warn({ err: e, trigger: t.id, messageId: m.messageId }, "could not settle a queue message; the broker delivers it again");
    }
  }

  private async closeReceiver(): Promise<void> {
    const r = this.receiver;
    this.receiver = undefined;
    await r?.close().catch((e) => this.o.log.warn({ err: e, trigger: this.o.trigger.id }, "closing a queue connection failed"));
  }
}
