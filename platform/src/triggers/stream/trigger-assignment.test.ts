/** Unit tests of the Stream trigger share-out: fair, sticky, and only to replicas that can read the broker. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assignTriggers, type StreamReplica } from "./trigger-assignment.ts";

const triggers = (n: number, source = "redis") => Array.from({ length: n }, (_, i) => ({ id: `t${String(i).padStart(2, "0")}`, source }));
const replica = (holder: string, holds: string[] = [], sources = ["redis", "nats"]): StreamReplica => ({ holder, sources, holds });
const counts = (m: Map<string, string>) => {
  const c: Record<string, number> = {};
  for (const h of m.values()) c[h] = (c[h] ?? 0) + 1;
  return c;
};

describe("assignTriggers", () => {
  it("gives every replica at most ceil(triggers / replicas)", () => {
    const m = assignTriggers(triggers(7), [replica("a"), replica("b"), replica("c")]);
    assert.equal(m.size, 7);
    assert.deepEqual(counts(m), { a: 3, b: 2, c: 2 });
  });

  it("keeps triggers with their holders, and a joining replica takes only the surplus", () => {
    const all = triggers(4);
    const m = assignTriggers(all, [replica("a", ["t00", "t01", "t02", "t03"]), replica("b")]);
    assert.deepEqual(counts(m), { a: 2, b: 2 });
    assert.equal(m.get("t00"), "a");
    assert.equal(m.get("t01"), "a");
    const after = assignTriggers(all, [replica("a", ["t00", "t01"]), replica("b", ["t02", "t03"]), replica("c")]);
    assert.deepEqual(counts(after), { a: 2, b: 1, c: 1 }, "c takes one of b's surplus, a keeps both of its own");
    assert.deepEqual([after.get("t00"), after.get("t01"), after.get("t02")], ["a", "a", "b"]);
  });

  it("moves a departed replica's triggers to the others", () => {
    const m = assignTriggers(triggers(4), [replica("a", ["t00", "t01"])]);
    assert.deepEqual(counts(m), { a: 4 });
  });

  it("gives a trigger only to a replica that can read its broker, and leaves out one nobody can read", () => {
    const m = assignTriggers([...triggers(2, "nats"), { id: "x", source: "kafka" }], [replica("a", [], ["redis"]), replica("b", [], ["redis", "nats"])]);
    assert.deepEqual(Object.fromEntries(m), { t00: "b", t01: "b" });
  });

  it("is the same whatever order the views list triggers and replicas in", () => {
    const r = [replica("a", ["t03"]), replica("b"), replica("c", ["t00"])];
    const one = assignTriggers(triggers(6), r);
    const two = assignTriggers([...triggers(6)].reverse(), [...r].reverse());
    assert.deepEqual(Object.fromEntries(one), Object.fromEntries(two));
  });
});
