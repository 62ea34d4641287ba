import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { WaitQueue, type Waiter } from "./wait-queue.ts";
import type { InvokeOutcome, InvokeRequest } from "../../../protocol/invoke.ts";

const req = (id: string) => ({ requestId: id }) as unknown as InvokeRequest;
const timedOut = (id: string): InvokeOutcome => ({ kind: "platform-error", code: "TooManyRequests", message: `waited: ${id}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The queue's timer is unref'd (a waiting invocation must not keep a stopping runner alive):
// hold the event loop open while a test waits on it.
let hold: NodeJS.Timeout;
beforeEach(() => (hold = setInterval(() => {}, 1000)));
afterEach(() => clearInterval(hold));

test("each waiter's wait ends at its own deadline, in order, with one timer for the queue", async () => {
  const expired: Array<{ id: string; position: number; waitedMs: number }> = [];
  let left = 0;
  // Periods long enough that a stalled machine (a GC, a busy neighbour) cannot reorder them.
  const q = new WaitQueue(
    250,
    (w: Waiter, position) => {
      expired.push({ id: w.req.requestId, position, waitedMs: Date.now() - w.enqueuedAt });
      return timedOut(w.req.requestId);
    },
    () => left++,
  );
  const a = q.add(req("a"));
  await sleep(100);
  const b = q.add(req("b"));
  const c = q.add(req("c"));
  const shifted = q.shift(); // "a" is served before its deadline: it must never expire
  assert.equal(shifted?.req.requestId, "a");
  shifted!.resolve({ kind: "success", payload: Buffer.from("1") } as InvokeOutcome);
  assert.equal(((await a) as { kind: string }).kind, "success");
  const [rb, rc] = await Promise.all([b, c]);
  assert.deepEqual([rb, rc].map((o) => (o as { message: string }).message), ["waited: b", "waited: c"]);
  assert.deepEqual(expired.map((e) => e.id), ["b", "c"]);
  for (const e of expired) assert.ok(e.waitedMs >= 245, `${e.id} waited only ${e.waitedMs} ms`);
  assert.equal(q.length, 0);
  assert.ok(left >= 1);
});

test("a waiter the pool keeps (a start covers it) waits another full period; settleAll ends every wait", async () => {
  let keep = true;
  const seen: number[] = [];
  const q = new WaitQueue(
    250,
    (w) => {
      seen.push(Date.now() - w.enqueuedAt);
      return keep ? undefined : timedOut(w.req.requestId);
    },
    () => {},
  );
  const kept = q.add(req("kept"));
  await sleep(375); // between the first deadline (250 ms) and the second (500 ms)
  assert.equal(q.length, 1, "still queued after its first deadline");
  keep = false;
  const o = (await kept) as { message: string };
  assert.equal(o.message, "waited: kept");
  assert.equal(seen.length, 2);
  assert.ok(seen[1]! >= 495, `the second deadline came a full period later (${seen[1]} ms)`);

  const x = q.add(req("x"));
  const y = q.add(req("y"));
  q.settleAll({ kind: "platform-error", code: "ServiceUnavailable", message: "closing" });
  assert.deepEqual(((await Promise.all([x, y])) as Array<{ code: string }>).map((r) => r.code), ["ServiceUnavailable", "ServiceUnavailable"]);
  assert.equal(q.length, 0);
});
