/**
 * A Scheduled trigger's tick across a leader's crash, on real stores (PGlite records, the memory
 * stream) with the real queue, workers and engine, and a scripted invoker standing in for the
 * runner. Both windows of a crash between queueing a tick and advancing last_fired_tick:
 *  - the leader queued the tick (record and event) and died before the compare-and-set;
 *  - the leader wrote the tick's Queued record and died before its event reached the stream.
 * In both the next leader fires the same tick under the same request id, and it runs exactly once.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import { LeaderLease } from "../../../shared/lease/leader-lease.ts";
import { uniquePrefix } from "../../../tests/support/services.ts";
import { waitFor } from "../../../tests/support/wait-for.ts";
import { AsyncQueue } from "../async/async-queue.ts";
import { AsyncWorkers } from "../async/async-workers.ts";
import { createRepositories, openDatabase, type Database, type Repositories } from "../db/index.ts";
import type { ScheduledTicksRepository } from "../db/repositories/triggers.ts";
import type { InvokeResult, Invoker } from "../router/invoker.ts";
import { ScheduleEngine } from "./schedule-engine.ts";
import { tickRequestId } from "./scheduled-event.ts";

const SPEC = { functionName: "fn", version: 1 } as unknown as InvokeResult["spec"];
const silent = { warn: () => {} };

describe("scheduled ticks across a leader's crash", () => {
  let database: Database;
  let repos: Repositories;
  let state: MemoryStateStore;
  let queue: AsyncQueue;
  let workers: AsyncWorkers;
  /** Runs per request id, as the function saw them. */
  const runs = new Map<string, number>();
  const engines: ScheduleEngine[] = [];

  before(async () => {
    database = await openDatabase({ kind: "pglite", dir: "memory://" });
    repos = createRepositories(database.db);
    state = new MemoryStateStore();
    const namespace = uniquePrefix("sched");
    queue = new AsyncQueue(state, repos.invocations, { namespace, maxLen: 10_000 });
    const invoke = async (_name: string, _q: string | undefined, _p: Buffer, o: { requestId: string }): Promise<InvokeResult> => {
      runs.set(o.requestId, (runs.get(o.requestId) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 20));
      return { spec: SPEC, outcome: { kind: "success", payload: Buffer.from("{}"), coldStart: false, start: "warm", durationMs: 20 } };
    };
    workers = new AsyncWorkers({ state, stream: queue.stream, repos, invoker: { invoke }, destinations: { send: async () => {} }, consumer: "w", concurrency: 4, retryDelaysMs: [50, 50], staleAfterMs: 400, log: silent, blockMs: 50 });
    await workers.start();
  });
  after(async () => {
    for (const e of engines) await e.stop();
    await workers.stop(1000);
    await state.close();
    await database.close();
  });

  /** A leader's engine whose enqueue goes through the real queue, as the pipeline's would. */
  async function leader(ticks: ScheduledTicksRepository): Promise<ScheduleEngine> {
    const enqueue: Invoker["enqueue"] = (name, qualifier, payload, o) => queue.enqueue({ requestId: o.requestId, name, qualifier, payload, async: { source: o.source, resume: o.resume } });
    const lease = new LeaderLease(state, { duty: "cron", namespace: uniquePrefix("lease"), holder: `h${engines.length}` });
    const engine = new ScheduleEngine({ repos: { scheduledTicks: ticks, invocations: repos.invocations }, invoker: { enqueue }, lease, intervalMs: 60_000, misfireGraceMs: 60_000, log: silent });
    await engine.start();
    engines.push(engine);
    return engine;
  }

  async function everySecondTrigger(): Promise<string> {
    const t = await repos.triggers.create({ functionName: "fn", type: "Scheduled", config: { schedule: "*/1 * * * * *" } });
    // At least two ticks due at the first pass.
    await new Promise((r) => setTimeout(r, 2100));
    return t.id;
  }

  async function firedOnce(triggerId: string): Promise<{ ids: string[]; duplicates: Map<string, number> }> {
    const [row] = (await repos.scheduledTicks.listScheduledForFiring()).filter((r) => r.id === triggerId);
    assert.ok(row?.lastFiredTick, "last_fired_tick advanced");
    const list = await waitFor("every fired tick to succeed", async () => {
      const { records } = await repos.invocations.list("fn", { source: triggerId, limit: 100 });
      return records.length > 0 && records.every((r) => r.status === "Succeeded") ? records : undefined;
    });
    const ids = list.map((r) => r.requestId);
    // The last tick fired is the newest record's.
    assert.equal(ids[0], tickRequestId(triggerId, row.lastFiredTick));
    for (const id of ids) assert.equal(runs.get(id), 1, `tick ${id} ran exactly once`);
    return { ids, duplicates: new Map(list.map((r) => [r.requestId, r.duplicates])) };
  }

  test("queued, then the leader died before advancing last_fired_tick: the next leader fires the tick again, it runs once, the repeat is counted", async () => {
    const id = await everySecondTrigger();
    let first: string | undefined;
    const dying: ScheduledTicksRepository = {
      ...repos.scheduledTicks,
      fireScheduledTick: async (f) => {
        first = tickRequestId(f.triggerId, f.tick);
        throw new Error("the leader died here");
      },
    };
    await (await leader(dying)).pass();
    assert.ok(first);
    assert.equal((await repos.invocations.get(first))?.source, id, "the first tick was queued before the crash");
    await engines.pop()!.stop();
    await (await leader(repos.scheduledTicks)).pass();
    const { ids, duplicates } = await firedOnce(id);
    assert.ok(ids.includes(first));
    assert.ok(ids.length >= 2);
    await waitFor("the repeated tick counted as a duplicate", async () => (await repos.invocations.get(first!))?.duplicates === 1);
    for (const other of ids.filter((x) => x !== first)) assert.equal(duplicates.get(other), 0);
    await engines.pop()!.stop();
  });

  test("the record written, then the leader died before the event reached the queue: the next leader queues it, it runs once", async () => {
    const id = await everySecondTrigger();
    const [row] = (await repos.scheduledTicks.listScheduledForFiring()).filter((r) => r.id === id);
    // What the dead leader left: the first tick's Queued record, no stream entry, last_fired_tick not advanced.
    let firstTick: Date | undefined;
    const probe: ScheduledTicksRepository = { ...repos.scheduledTicks, fireScheduledTick: async (f) => ((firstTick = f.tick), false) };
    const orphan = new AsyncQueue(new MemoryStateStore(), repos.invocations, { namespace: "elsewhere:", maxLen: 10 });
    const e = new ScheduleEngine({
      repos: { scheduledTicks: probe, invocations: repos.invocations },
      invoker: { enqueue: (name, qualifier, payload, o) => orphan.enqueue({ requestId: o.requestId, name, qualifier, payload, async: { source: o.source } }) },
      lease: new LeaderLease(state, { duty: "cron", namespace: uniquePrefix("lease"), holder: "dead" }),
      intervalMs: 60_000,
      misfireGraceMs: 60_000,
      log: silent,
    });
    await e.start();
    await e.pass();
    await e.stop();
    assert.ok(firstTick && row);
    const firstId = tickRequestId(id, firstTick);
    assert.equal((await repos.invocations.get(firstId))?.status, "Queued", "an orphaned Queued record");
    assert.equal(runs.get(firstId), undefined);

    await (await leader(repos.scheduledTicks)).pass();
    const { ids, duplicates } = await firedOnce(id);
    assert.ok(ids.includes(firstId));
    assert.equal(duplicates.get(firstId), 0, "queued again, not counted: nothing had run it");
    await engines.pop()!.stop();
  });
});
