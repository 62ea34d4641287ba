import assert from "node:assert/strict";
import { test } from "node:test";
import { pickRunner, type PlacementView } from "./placement.ts";

interface R {
  id: string;
  free: number;
  load: number;
}
const view: PlacementView<R> = { free: (r) => r.free, load: (r) => r.load };
const seq = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length];
};

test("prefers the only runner with a free warm slot, however loaded it is", () => {
  const rs = [
    { id: "a", free: 0, load: 0 },
    { id: "b", free: 1, load: 0.9 },
    { id: "c", free: 0, load: 0.1 },
  ];
  for (let i = 0; i < 20; i++) assert.equal(pickRunner(rs, "k", view)?.id, "b");
});

test("among warm runners, takes the less loaded of two", () => {
  const rs = [
    { id: "a", free: 2, load: 0.5 },
    { id: "b", free: 1, load: 0.1 },
  ];
  assert.equal(pickRunner(rs, "k", view)?.id, "b");
});

test("without a warm runner, takes the less loaded of two random runners", () => {
  const rs = [
    { id: "a", free: 0, load: 0.8 },
    { id: "b", free: 0, load: 0.2 },
    { id: "c", free: 0, load: 0.5 },
  ];
  // random() 0.9 keeps both samples as a, b; then c replaces nothing (j = 2).
  assert.equal(pickRunner(rs, "k", view, undefined, seq(0.9))?.id, "b");
  // j = 0 replaces a with c: the pair is (c, b).
  assert.equal(pickRunner(rs, "k", view, undefined, seq(0))?.id, "b");
  // j = 1 replaces b with c: the pair is (a, c).
  assert.equal(pickRunner(rs, "k", view, undefined, seq(0.5))?.id, "c");
});

test("never picks the excluded runner, and returns undefined when it is the only one", () => {
  const a = { id: "a", free: 5, load: 0 };
  const b = { id: "b", free: 0, load: 1 };
  assert.equal(pickRunner([a, b], "k", view, a)?.id, "b");
  assert.equal(pickRunner([a], "k", view, a), undefined);
  assert.equal(pickRunner([], "k", view), undefined);
});

test("spreads evenly over equally loaded runners", () => {
  const rs = Array.from({ length: 4 }, (_, i) => ({ id: `r${i}`, free: 0, load: 0 }));
  const counts = new Map<string, number>();
  for (let i = 0; i < 4000; i++) {
    const r = pickRunner(rs, "k", { free: () => 0, load: (x) => x.load })!;
    counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    r.load += 0.001; // the pick adds load, as an invocation would
  }
  for (const n of counts.values()) assert.ok(n > 900 && n < 1100, `uneven: ${[...counts.values()]}`);
});
