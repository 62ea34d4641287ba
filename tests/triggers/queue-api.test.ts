/**
 * End-to-end: Queue triggers created over HTTP on a real platform (Postgres, Redis, S3, with the
 * RabbitMQ and NATS URLs configured), one per source. Messages published to the broker run the
 * function through the invocation pipeline (invocation records with the trigger as source, the
 * trigger's statistics), a message the function reports in batchItemFailures is retried up to
 * maxReceiveCount and lands in the dead-letter destination, and disabling the trigger stops it.
 * On a server without a broker URL, such a trigger is refused with 400 naming the variable.
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { it, serversSkipReason, SkipError, startPlatform, type TestPlatform } from "../support/platform.ts";
import { serviceSkipReason } from "../support/services.ts";
import { FAST_QUEUE_ENV, QUEUE_BROKERS } from "../support/queue-brokers.ts";
import { waitFor } from "../support/wait-for.ts";
import { QueueTriggerConfig } from "../../protocol/api/triggers.ts";
import type { InvocationView } from "../../protocol/api/invocations.ts";
import { apiOf, deployInline } from "../async/support.ts";

/** Fails every message whose body starts with "bad"; reports what it saw. */
const WORKER = `exports.handler = async (event) => ({
  seen: event.Records.map((r) => [r.body, Number(r.attributes.ApproximateReceiveCount), r.eventSource]),
  batchItemFailures: event.Records.filter((r) => r.body.startsWith("bad")).map((r) => ({ itemIdentifier: r.messageId })),
});`;

describe("Queue triggers end to end", () => {
  let p: TestPlatform | undefined;
  let skip: string | undefined;
  before(async () => {
    skip = (await serversSkipReason()) ?? (await serviceSkipReason("rabbitmq")) ?? (await serviceSkipReason("nats"));
    if (!skip) p = await startPlatform("servers", FAST_QUEUE_ENV);
  });
  after(async () => {
    await p?.close();
    for (const b of Object.values(QUEUE_BROKERS)) await b.close();
  });

  for (const source of ["redis", "rabbitmq", "nats"] as const) {
    it(
      `${source}: published messages run the function; a failing one is retried ${3} times then dead-lettered; disabling stops it`,
      async () => {
        if (skip) throw new SkipError(skip);
        const broker = QUEUE_BROKERS[source];
        const fn = `qworker-${source}`;
        await deployInline(p!, fn, WORKER);
        const names = broker.names();
        const created = await p!.api("POST", "/api/v1/triggers", {
          functionName: fn,
          type: "Queue",
          config: { source, ...names.queue, batchSize: 10, maximumBatchingWindowInSeconds: 1, maxReceiveCount: 3, deadLetter: names.deadLetter },
        });
        assert.equal(created.status, 201, created.text);
        const trigger = created.json as { triggerId: string; config: Record<string, unknown> };
        const config = QueueTriggerConfig.parse(trigger.config);
        try {
          await broker.publish(config, [{ body: "one" }, { body: "two" }, { body: "bad-three" }]);
          await waitFor(`bad-three in ${source}'s dead-letter destination`, async () => (await broker.deadLetters(config)).length >= 1, { timeoutMs: 30_000 });
          assert.deepEqual((await broker.deadLetters(config)).map((d) => [d.body, d.receiveCount]), [["bad-three", 3]]);

          const api = apiOf(p!);
          const records = await waitFor(
            "the batch invocations' records",
            async () => {
              const page = await api.async.list(fn, { source: trigger.triggerId, limit: 100 });
              return page.ok && page.value.invocations.every((i) => i.status === "Succeeded") ? page.value.invocations : undefined;
            },
            { timeoutMs: 10_000 },
          );
          const seen = records.flatMap((r: InvocationView) => (JSON.parse(r.result!) as { seen: [string, number, string][] }).seen);
          assert.deepEqual(seen.filter(([b]) => b !== "bad-three").map(([b, n]) => `${b}:${n}`).sort(), ["one:1", "two:1"], "successes ran once");
          assert.deepEqual(seen.filter(([b]) => b === "bad-three").map(([, n]) => n).sort(), [1, 2, 3], "the failing message was received three times");
          assert.ok(seen.every(([, , s]) => s === `hotswap:${source}`));
          for (const r of records) {
            assert.equal(r.source, trigger.triggerId);
            assert.equal(r.version, 1);
          }
          await waitFor("the trigger's statistics", async () => {
            const t = await p!.api("GET", `/api/v1/triggers/${trigger.triggerId}`);
            return t.json.executionCount === records.length && t.json.lastExecutedAt !== null;
          }, { timeoutMs: 10_000 });

          const disabled = await p!.api("PUT", `/api/v1/triggers/${trigger.triggerId}`, { enabled: false });
          assert.equal(disabled.status, 200, disabled.text);
          const before = records.length;
          await broker.publish(config, [{ body: "after-disable" }]);
          await new Promise((r) => setTimeout(r, 2000));
          const page = await api.async.list(fn, { source: trigger.triggerId, limit: 100 });
          assert.ok(page.ok);
          assert.equal(page.value.invocations.length, before, "a disabled trigger consumes nothing");
        } finally {
          await p!.api("DELETE", `/api/v1/triggers/${trigger.triggerId}`);
          await broker.remove(config, trigger.triggerId);
        }
      },
      { timeout: 90_000 },
    );
  }
});

describe("Queue triggers on a server without broker URLs", () => {
  let p: TestPlatform | undefined;
  before(async () => {
    p = await startPlatform("embedded");
  });
  after(async () => {
    await p?.close();
  });

  it("refuses each unconfigured source with 400 EventSourceNotConfigured naming the variable to set", async () => {
    await deployInline(p!, "qless", WORKER);
    for (const [config, variable] of [
      [{ source: "redis", stream: "s" }, "HOTSWAP_QUEUE_REDIS_URL \\(or REDIS_URL\\)"],
      [{ source: "rabbitmq", queue: "q" }, "HOTSWAP_AMQP_URL"],
      [{ source: "nats", stream: "S" }, "HOTSWAP_NATS_URL"],
    ] as const) {
      const r = await p!.api("POST", "/api/v1/triggers", { functionName: "qless", type: "Queue", config });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, "EventSourceNotConfigured");
      assert.match(r.json.error.message, new RegExp(`Queue source "${config.source}" is not configured on this server: set ${variable}`));
    }
    const list = await p!.api("GET", "/api/v1/triggers?type=Queue");
    assert.deepEqual(list.json.triggers, [], "nothing was stored");
  });
});
