import { afterEach, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { Deadlines } from "./deadlines.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The timer is unref'd (a running invocation must not keep a stopping runner alive): hold the loop open.
let hold: NodeJS.Timeout;
beforeEach(() => (hold = setInterval(() => {}, 1000)));
afterEach(() => clearInterval(hold));

test("entries come due at their own deadlines, in any insertion order; removed ones never do", async () => {
  const due: Array<{ id: string; lateMs: number }> = [];
  // A plain timer per deadline measures how late this loop runs timers anyway (a loaded machine
  // stalls both alike); an entry must come due about when its own reference timer does.
  const refLateMs = new Map<string, number>();
  const t0 = Date.now();
  const d = new Deadlines<{ id: string; at: number }>((item) => due.push({ id: item.id, lateMs: Date.now() - item.at }));
  const add = (id: string, inMs: number) => {
    setTimeout(() => refLateMs.set(id, Date.now() - (t0 + inMs)), t0 + inMs - Date.now());
    return d.add({ id, at: t0 + inMs }, t0 + inMs);
  };
  add("late", 120);
  add("early", 40); // earlier than an entry already queued: re-arms the timer sooner
  const gone = add("removed", 60);
  add("middle", 80);
  d.remove(gone);
  await sleep(170);
  assert.deepEqual(due.map((x) => x.id), ["early", "middle", "late"]);
  for (const x of due) {
    const ref = refLateMs.get(x.id) ?? 0;
    // Entries 40 ms apart: one that waited for a later deadline would be ≥ 40 ms behind its reference.
    assert.ok(x.lateMs >= 0 && x.lateMs < ref + 25, `${x.id} came ${x.lateMs} ms after its deadline (a plain timer: ${ref} ms)`);
  }
  assert.equal(d.size, 0);
});

test("a timer that finds its entry settled re-arms for the next one; clear() stops everything", async () => {
  const due: string[] = [];
  const d = new Deadlines<string>((id) => due.push(id));
  const first = d.add("first", Date.now() + 20);
  d.add("second", Date.now() + 60);
  d.remove(first);
  await sleep(40);
  assert.deepEqual(due, [], "nothing was due when the timer fired");
  await sleep(50);
  assert.deepEqual(due, ["second"]);
  d.add("never", Date.now() + 20);
  d.clear();
  await sleep(50);
  assert.deepEqual(due, ["second"]);
});
