/**
 * The async workers' delivery guarantees on real stores (PGlite records; the memory and Redis
 * streams), with a scripted invoker standing in for the runner: a worker that dies mid-event leaves
 * its entry pending and its record untouched, another worker claims it after staleAfterMs and runs
 * it, and the dead worker's late answer changes nothing (its writes are fenced); a redelivered
 * final event is acked and counted as a duplicate.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { InvokeResult } from "../router/invoker.ts";
import { openDatabase, createRepositories, type Database, type Repositories } from "../db/index.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import { RedisStateStore } from "../../../shared/state/redis-state-store.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { TEST_REDIS_URL, serviceSkipReason, uniquePrefix } from "../../../tests/support/services.ts";
import { waitFor } from "../../../tests/support/wait-for.ts";
import { AsyncQueue } from "./async-queue.ts";
import { AsyncWorkers } from "./async-workers.ts";
import { ASYNC_GROUP } from "./queued-event.ts";

const SPEC = { functionName: "fn", version: 1, runtime: "nodejs20", handler: "index.handler", memorySize: 128, timeout: 3, environment: {}, codeSha256: "a".repeat(64), protocol: "fast", instanceConcurrency: 1 } as unknown as InvokeResult["spec"];

function success(text: string): InvokeResult {
  return { spec: SPEC, outcome: { kind: "success", payload: Buffer.from(text), coldStart: false, start: "warm", durationMs: 1 } };
}

const silent = { warn: () => {} };

for (const kind of ["memory", "redis"] as const) {
  describe(`async workers on the ${kind} stream`, () => {
    let database: Database;
    let repos: Repositories;
    let state: StateStore;
    let skip: string | undefined;
    before(async () => {
      if (kind === "redis") skip = await serviceSkipReason("redis", TEST_REDIS_URL);
      database = await openDatabase({ kind: "pglite", dir: "memory://" });
      repos = createRepositories(database.db);
      state = kind === "memory" || skip ? new MemoryStateStore() : new RedisStateStore({ url: TEST_REDIS_URL, keyPrefix: uniquePrefix("aw") });
    });
    after(async () => {
      await state.close();
      await database.close();
    });

    function workers(name: string, invoke: () => Promise<InvokeResult>, queue: AsyncQueue): AsyncWorkers {
      return new AsyncWorkers({
        state,
        stream: queue.stream,
        repos,
        invoker: { invoke },
        destinations: { send: async () => {} },
        consumer: name,
        concurrency: 4,
        retryDelaysMs: [50, 50],
        staleAfterMs: 400,
        log: silent,
        blockMs: 100,
      });
    }

    test("a worker that dies mid-event: another claims the entry after staleAfterMs and runs it once more; the dead one's late answer is fenced", async (t) => {
      if (skip) return t.skip(skip);
      const queue = new AsyncQueue(state, repos.invocations, { namespace: uniquePrefix("ns"), maxLen: 10_000 });
      let release: (r: InvokeResult) => void = () => {};
      const hung = new Promise<InvokeResult>((r) => (release = r));
      let firstCalls = 0;
      const dying = workers("dying", () => (firstCalls++, hung), queue);
      await dying.start();
      await queue.enqueue({ requestId: "req-crash", name: "fn", payload: Buffer.from('{"a":1}'), async: { source: "async" } });
      await waitFor("the first worker to start the event", () => firstCalls === 1);
      // The replica dies: no more reads, claims or heartbeats; the handler never answers it.
      await dying.stop(0);
      const rec = await repos.invocations.get("req-crash");
      assert.equal(rec?.status, "Running");
      assert.equal(await state.pendingCount(queue.stream, ASYNC_GROUP), 1, "the entry stays pending, unacked");

      let secondCalls = 0;
      const survivor = workers("survivor", async () => (secondCalls++, success('{"ok":true}')), queue);
      await survivor.start();
      const done = await waitFor("the survivor to finish it", async () => {
        const r = await repos.invocations.get("req-crash");
        return r?.status === "Succeeded" ? r : undefined;
      }, { timeoutMs: 5000 });
      assert.equal(secondCalls, 1);
      assert.equal(done.result, '{"ok":true}');
      await waitFor("the entry acked", async () => (await state.pendingCount(queue.stream, ASYNC_GROUP)) === 0);
      // The first handler answers late: its owner lost the record, so nothing changes.
      release(success('{"late":true}'));
      await new Promise((r) => setTimeout(r, 100));
      const still = await repos.invocations.get("req-crash");
      assert.equal(still?.result, '{"ok":true}');
      // The takeover of a Running record is counted: its handler ran twice (firstCalls and secondCalls).
      assert.equal(still?.duplicates, 1);
      await survivor.stop(1000);
    });

    test("a redelivered event whose record is final is acked without running, counted in duplicates", async (t) => {
      if (skip) return t.skip(skip);
      const queue = new AsyncQueue(state, repos.invocations, { namespace: uniquePrefix("ns"), maxLen: 10_000 });
      let calls = 0;
      const w = workers("w", async () => (calls++, success("1")), queue);
      await w.start();
      await queue.enqueue({ requestId: "req-dup", name: "fn", payload: Buffer.from("{}"), async: { source: "async" } });
      await waitFor("finished", async () => (await repos.invocations.get("req-dup"))?.status === "Succeeded");
      // The same event again on the stream (a producer that retried after a lost answer).
      await queue.enqueue({ requestId: "req-dup", name: "fn", payload: Buffer.from("{}"), async: { source: "async", recorded: true } });
      await waitFor("the duplicate counted", async () => (await repos.invocations.get("req-dup"))?.duplicates === 1);
      await waitFor("acked", async () => (await state.pendingCount(queue.stream, ASYNC_GROUP)) === 0);
      assert.equal(calls, 1);
      await w.stop(1000);
    });
  });
}
