/**
 * The async queue's gauges and duplicate counter, read through a registry's exposition on real
 * stores (PGlite records, the memory stream): what is Queued, Running and Retrying, and what the
 * workers hold unacknowledged.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import { AsyncQueue } from "../async/async-queue.ts";
import { ASYNC_GROUP } from "../async/queued-event.ts";
import { createRepositories, openDatabase, type Database, type Repositories } from "../db/index.ts";
import { AsyncQueueMetrics } from "./async-queue-metrics.ts";
import { createMetricsRegistry } from "./prometheus-registry.ts";

let database: Database;
let repos: Repositories;
const state = new MemoryStateStore();
before(async () => {
  database = await openDatabase({ kind: "pglite", dir: "memory://" });
  repos = createRepositories(database.db);
});
after(async () => {
  await state.close();
  await database.close();
});

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test("gauges count the unfinished records by status and the stream's unacknowledged entries; duplicates are counted by reason", async () => {
  const registry = createMetricsRegistry({ processMetrics: false });
  const queue = new AsyncQueue(state, repos.invocations, { namespace: "hs:m:", maxLen: 1000 });
  const errors: unknown[] = [];
  const metrics = new AsyncQueueMetrics(registry, { invocations: repos.invocations, state, stream: queue.stream, onError: (e) => errors.push(e) });
  await state.createGroup(queue.stream, ASYNC_GROUP, "0");
  for (const id of ["a", "b", "c", "d"]) await queue.enqueue({ requestId: id, name: "fn", payload: Buffer.from("{}"), async: { source: "async" } });
  // A worker takes two (one fails and waits for a retry): delivered, not acked.
  await state.readGroup(queue.stream, ASYNC_GROUP, "w", { count: 2 });
  const now = new Date();
  await repos.invocations.take("a", now, now);
  const b = await repos.invocations.take("b", now, now);
  assert.equal(b.kind, "taken");
  assert.ok(await repos.invocations.update("b", now, new Date(now.getTime() + 1), { status: "Retrying" }));
  metrics.duplicate("runner-lost");

  const text = await registry.metrics();
  assert.equal(sample(text, 'hotswap_async_events{status="Queued"}'), 2);
  assert.equal(sample(text, 'hotswap_async_events{status="Running"}'), 1);
  assert.equal(sample(text, 'hotswap_async_events{status="Retrying"}'), 1);
  assert.equal(sample(text, "hotswap_async_stream_pending"), 2);
  assert.equal(sample(text, 'hotswap_async_duplicates_total{reason="runner-lost"}'), 1);
  assert.equal(sample(text, 'hotswap_async_duplicates_total{reason="taken-over"}'), 0);
  assert.deepEqual(errors, []);
});
