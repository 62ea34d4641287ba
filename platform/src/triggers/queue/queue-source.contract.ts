/**
 * The contract every Queue trigger broker adapter meets, run by QueueConsumer against a real
 * broker (redis-queue.test.ts, rabbitmq-queue.test.ts, nats-queue.test.ts). The function is a
 * scripted batch handler here (the pipeline is covered end to end in tests/triggers/queue-*.test.ts);
 * everything between it and the broker is real: delivery and the batch's shape, the batching
 * window, partial batch failure, retries then the dead-letter destination, ack only after success
 * (a message held by a consumer that stops mid-batch is delivered again), and the concurrency cap.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { QueueTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { waitFor } from "../../../../tests/support/wait-for.ts";
import { QueueConsumer, type BatchOutcome } from "./queue-consumer.ts";
import type { QueueRecord } from "./queue-event.ts";
import type { QueueReceiver } from "./queue-source.ts";

/** A dead-lettered message as the test reads it back from the broker. */
export interface DeadLetter {
  body: string;
  receiveCount: number;
}

export interface QueueBroker {
  source: "redis" | "rabbitmq" | "nats";
  /** Config fields naming a fresh queue and its dead-letter destination (unique per call). */
  names(): { queue: Record<string, string>; deadLetter: Record<string, string> };
  open(triggerId: string, config: QueueTriggerConfig): Promise<QueueReceiver>;
  publish(config: QueueTriggerConfig, messages: Array<{ body: string; attributes?: Record<string, string> }>): Promise<void>;
  deadLetters(config: QueueTriggerConfig): Promise<DeadLetter[]>;
  /** Messages delivered and not yet settled (0 once every message is acked). */
  unsettled(config: QueueTriggerConfig, triggerId: string): Promise<number>;
  remove(config: QueueTriggerConfig, triggerId: string): Promise<void>;
  close(): Promise<void>;
}

type Handler = (records: QueueRecord[]) => Promise<BatchOutcome>;
const quiet = { warn: () => undefined, info: () => undefined };
const ok = (answer: unknown = null): BatchOutcome => ({ ok: true, answer: JSON.stringify(answer) });

export function runQueueContract(broker: () => QueueBroker, skip: string | undefined): void {
  describe(`queue trigger contract (${skip ? "skipped" : broker().source})`, { skip }, () => {
    const cleanups: Array<() => Promise<void>> = [];
    after(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      await broker().close();
    });

    /** A consumer of a fresh queue; stopped and its queue removed at the end. */
    function consumer(extra: Record<string, unknown>, handler: Handler, triggerId = randomUUID()) {
      const b = broker();
      const n = b.names();
      const config = QueueTriggerConfig.parse({ source: b.source, ...n.queue, deadLetter: n.deadLetter, ...extra });
      const start = (id = triggerId) => {
        const c = new QueueConsumer({
          trigger: { id, functionName: "fn", qualifier: "$LATEST", config },
          open: () => b.open(id, config),
          invokeBatch: async (_t, event) => handler((JSON.parse(event.toString()) as { Records: QueueRecord[] }).Records),
          retryDelayMs: 50,
          log: quiet,
          idleWaitMs: 200,
        });
        c.start();
        cleanups.push(() => c.stop(0));
        return c;
      };
      cleanups.push(() => b.remove(config, triggerId));
      return { b, config, start, triggerId };
    }

    test("delivers published messages as one SQS-shaped batch and acks them after success", async () => {
      const seen: QueueRecord[][] = [];
      const { b, config, start, triggerId } = consumer({ batchSize: 10, maximumBatchingWindowInSeconds: 1 }, async (r) => (seen.push(r), ok()));
      start();
      await b.publish(config, [1, 2, 3, 4, 5].map((i) => ({ body: `m${i}`, attributes: { n: String(i) } })));
      await waitFor("5 messages delivered", () => seen.flat().length >= 5, { timeoutMs: 15_000 });
      const records = seen.flat();
      assert.deepEqual(records.map((r) => r.body).sort(), ["m1", "m2", "m3", "m4", "m5"]);
      assert.ok(seen.length <= 2, `the window gathers the five into few batches, got ${seen.map((s) => s.length)}`);
      for (const r of records) {
        assert.equal(r.eventSource, `hotswap:${b.source}`);
        assert.match(r.eventSourceARN, new RegExp(`^arn:hotswap:${b.source}:::`));
        assert.equal(r.attributes.ApproximateReceiveCount, "1");
        assert.ok(Number(r.attributes.SentTimestamp) > Date.now() - 60_000, "SentTimestamp is the publish time");
        assert.equal(r.messageAttributes.n?.stringValue, r.body.slice(1));
        assert.ok(r.messageId.length > 0 && r.receiptHandle.length > 0);
      }
      await waitFor("every message acked", async () => (await b.unsettled(config, triggerId)) === 0, { timeoutMs: 10_000 });
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(seen.flat().length, 5, "acked messages are not delivered again");
    });

    test("a batch holds at most batchSize messages, and the window waits for stragglers", async () => {
      const seen: number[] = [];
      const small = consumer({ batchSize: 3 }, async (r) => (seen.push(r.length), ok()));
      small.start();
      await small.b.publish(small.config, Array.from({ length: 7 }, (_, i) => ({ body: `s${i}` })));
      await waitFor("7 messages", () => seen.reduce((a, b) => a + b, 0) >= 7, { timeoutMs: 15_000 });
      assert.ok(Math.max(...seen) <= 3, `batches ${seen}`);

      const windowed: number[] = [];
      const w = consumer({ batchSize: 100, maximumBatchingWindowInSeconds: 3 }, async (r) => (windowed.push(r.length), ok()));
      w.start();
      for (let i = 0; i < 3; i++) {
        await w.b.publish(w.config, [{ body: `w${i}` }]);
        await new Promise((r) => setTimeout(r, 300));
      }
      await waitFor("the windowed batch", () => windowed.length > 0, { timeoutMs: 15_000 });
      assert.deepEqual(windowed, [3], "three messages 300 ms apart arrive in one batch within a 3 s window");
    });

    test("partial batch failure: named messages are retried with growing receive counts, then dead-lettered; the others are acked once", async () => {
      const bodies: Array<[string, number]> = [];
      const { b, config, start, triggerId } = consumer({ batchSize: 10, maxReceiveCount: 3 }, async (records) => {
        for (const r of records) bodies.push([r.body, Number(r.attributes.ApproximateReceiveCount)]);
        return ok({ batchItemFailures: records.filter((r) => r.body.startsWith("bad")).map((r) => ({ itemIdentifier: r.messageId })) });
      });
      start();
      await b.publish(config, [{ body: "ok1" }, { body: "bad1" }, { body: "ok2" }]);
      await waitFor("bad1 dead-lettered", async () => (await b.deadLetters(config)).length >= 1, { timeoutMs: 20_000 });
      const dead = await b.deadLetters(config);
      assert.deepEqual(dead.map((d) => [d.body, d.receiveCount]), [["bad1", 3]]);
      assert.deepEqual(bodies.filter(([body]) => body === "bad1").map(([, n]) => n), [1, 2, 3]);
      assert.deepEqual(bodies.filter(([body]) => body.startsWith("ok")).map(([body, n]) => `${body}:${n}`).sort(), ["ok1:1", "ok2:1"]);
      await waitFor("nothing left unsettled", async () => (await b.unsettled(config, triggerId)) === 0, { timeoutMs: 10_000 });
    });

    test("a handler error fails the whole batch: every message is retried, then dead-lettered", async () => {
      let calls = 0;
      const { b, config, start } = consumer({ batchSize: 10, maxReceiveCount: 2, maximumBatchingWindowInSeconds: 1 }, async () => (calls++, { ok: false, error: "Error: boom" }));
      start();
      await b.publish(config, [{ body: "x1" }, { body: "x2" }]);
      await waitFor("both dead-lettered", async () => (await b.deadLetters(config)).length >= 2, { timeoutMs: 20_000 });
      assert.deepEqual((await b.deadLetters(config)).map((d) => `${d.body}:${d.receiveCount}`).sort(), ["x1:2", "x2:2"]);
      assert.ok(calls >= 2);
    });

    test("a message is acked only after success: a consumer stopped mid-batch leaves it to the next one", async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const firstSeen: QueueRecord[] = [];
      const second: QueueRecord[] = [];
      let phase = 1;
      const { b, config, start } = consumer({ batchSize: 5 }, async (records) => {
        if (phase === 1) {
          firstSeen.push(...records);
          await held; // the crash: this batch never finishes on this consumer
          return { ok: false, error: "stopped" };
        }
        second.push(...records);
        return ok();
      });
      const c1 = start();
      await b.publish(config, [{ body: "survivor" }]);
      await waitFor("the first consumer holds the message", () => firstSeen.length === 1, { timeoutMs: 15_000 });
      phase = 2;
      await c1.stop(0);
      start();
      await waitFor("the message delivered again", () => second.length >= 1, { timeoutMs: 20_000 });
      release();
      assert.equal(second[0]!.body, "survivor");
      assert.equal(second[0]!.messageId, firstSeen[0]!.messageId);
      assert.equal(second[0]!.attributes.ApproximateReceiveCount, "2", "the second delivery is counted");
    });

    test("maxConcurrency caps the batches running at once", async () => {
      let running = 0;
      let peak = 0;
      let done = 0;
      const { b, config, start } = consumer({ batchSize: 1, maxConcurrency: 2 }, async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 300));
        running--;
        done++;
        return ok();
      });
      start();
      await b.publish(config, Array.from({ length: 6 }, (_, i) => ({ body: `c${i}` })));
      await waitFor("six batches", () => done >= 6, { timeoutMs: 20_000 });
      assert.equal(peak, 2, "two batches ran at once, never more");
    });
  });
}
