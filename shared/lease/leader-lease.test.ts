import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStateStore } from "../state/memory-state-store.ts";
import { LeaderLease } from "./leader-lease.ts";

test("one replica leads; when it steps down another takes over with a larger fencing token", async () => {
  const state = new MemoryStateStore();
  const changes: string[] = [];
  const a = new LeaderLease(state, { holder: "a", renewMs: 50, onChange: (l) => changes.push(`a:${l}`) });
  const b = new LeaderLease(state, { holder: "b", renewMs: 50, onChange: (l) => changes.push(`b:${l}`) });
  await a.start();
  await b.start();
  assert.equal(a.isLeader(), true);
  assert.equal(b.isLeader(), false);
  const first = a.token!;
  await a.stop();
  assert.equal(a.isLeader(), false);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(b.isLeader(), true);
  assert.ok(b.token! > first, `token ${b.token} after ${first}`);
  assert.deepEqual(changes, ["a:true", "a:false", "b:true"]);
  await b.stop();
  await state.close();
});

test("a leader whose lease expired without renewal stops acting as leader", async () => {
  const state = new MemoryStateStore();
  const a = new LeaderLease(state, { holder: "a", ttlMs: 100, renewMs: 10_000 });
  await a.start();
  assert.equal(a.isLeader(), true);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(a.isLeader(), false);
  assert.equal(a.token, undefined);
  await a.stop();
  await state.close();
});
