/**
 * A broker outage, on each real broker behind a TCP proxy the test cuts: the Queue consumer keeps
 * running (no throw reaches the process), logs the outage once however long it lasts, reconnects
 * with backoff once the broker is back, and then delivers what was published meanwhile.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { QueueTriggerConfig } from "../../../../protocol/api/triggers.ts";
import { TEST_AMQP_URL, TEST_NATS_URL, TEST_REDIS_URL, serviceSkipReason } from "../../../../tests/support/services.ts";
import { QUEUE_BROKERS } from "../../../../tests/support/queue-brokers.ts";
import { startTcpProxy } from "../../../../tests/support/tcp-proxy.ts";
import { waitFor } from "../../../../tests/support/wait-for.ts";
import { QueueConsumer } from "./queue-consumer.ts";
import type { QueueRecord } from "./queue-event.ts";
import { openNatsQueue } from "./nats-queue.ts";
import { openRabbitQueue } from "./rabbitmq-queue.ts";
import { openRedisQueue } from "./redis-queue.ts";

const SOURCES = [
  { source: "redis", url: TEST_REDIS_URL, port: 6379, open: (url: string, id: string, c: QueueTriggerConfig) => openRedisQueue({ url, triggerId: id, config: c, staleAfterMs: 1000 }) },
  { source: "rabbitmq", url: TEST_AMQP_URL, port: 5672, open: (url: string, id: string, c: QueueTriggerConfig) => openRabbitQueue({ url, triggerId: id, config: c }) },
  { source: "nats", url: TEST_NATS_URL, port: 4222, open: (url: string, id: string, c: QueueTriggerConfig) => openNatsQueue({ url, triggerId: id, config: c, staleAfterMs: 2000 }) },
] as const;

after(async () => {
  for (const b of Object.values(QUEUE_BROKERS)) await b.close();
});

for (const s of SOURCES) {
  describe(`queue consumer through a ${s.source} outage`, { skip: await serviceSkipReason(s.source, s.url) }, () => {
    test("logs the outage once, reconnects when the broker is back, and delivers what was published meanwhile", { timeout: 60_000 }, async () => {
      const broker = QUEUE_BROKERS[s.source];
      const proxy = await startTcpProxy(s.url, s.port);
      const names = broker.names();
      const config = QueueTriggerConfig.parse({ source: s.source, ...names.queue, deadLetter: names.deadLetter });
      const triggerId = randomUUID();
      const bodies: string[] = [];
      const warnings: string[] = [];
      const infos: string[] = [];
      const consumer = new QueueConsumer({
        trigger: { id: triggerId, functionName: "fn", qualifier: "$LATEST", config },
        open: () => s.open(proxy.url, triggerId, config),
        invokeBatch: async (_t, event) => {
          bodies.push(...(JSON.parse(event.toString()) as { Records: QueueRecord[] }).Records.map((r) => r.body));
          return { ok: true, answer: "null" };
        },
        retryDelayMs: 50,
        log: { warn: (_o, msg) => warnings.push(msg), info: (_o, msg) => infos.push(msg) },
        idleWaitMs: 200,
      });
      try {
        consumer.start();
        await broker.publish(config, [{ body: "before" }]);
        await waitFor("the message published before the outage", () => bodies.includes("before"), { timeoutMs: 15_000 });
        proxy.down();
        await broker.publish(config, [{ body: "during" }]);
        await waitFor("the outage noticed", () => warnings.some((w) => w.includes("unreachable")), { timeoutMs: 15_000 });
        await new Promise((r) => setTimeout(r, 3000)); // several reconnect attempts fail meanwhile
        assert.equal(warnings.filter((w) => w.includes("unreachable")).length, 1, `logged once: ${JSON.stringify(warnings)}`);
        proxy.up();
        await waitFor("the message published during the outage", () => bodies.includes("during"), { timeoutMs: 30_000 });
        assert.ok(infos.some((i) => i.includes("reachable again")), `the recovery is logged: ${JSON.stringify(infos)}`);
      } finally {
        await consumer.stop(0);
        await proxy.close();
        await broker.remove(config, triggerId);
      }
    });
  });
}
