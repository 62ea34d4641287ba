/**
 * The process-local lease of the embedded runner's capacity duty: it leads on its own, and two
 * control planes (which may share a Redis) never exclude each other, since each has its own runner.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { processLocalLease } from "./process-lease.ts";

test("each process-local lease leads from start with a fencing token, independently of another of the same duty and cluster", async () => {
  const a = processLocalLease({ duty: "capacity", namespace: "hs:c1:", holder: "a" });
  const b = processLocalLease({ duty: "capacity", namespace: "hs:c1:", holder: "b" });
  try {
    await a.start();
    await b.start();
    assert.equal(a.isLeader(), true);
    assert.equal(b.isLeader(), true);
    assert.equal(a.token, 1);
    assert.equal(a.name, "hs:c1:capacity:leader");
  } finally {
    await a.stop();
    await b.stop();
  }
  assert.equal(a.isLeader(), false, "stop gives it up");
  assert.equal(a.token, undefined);
  await a.stop(); // idempotent: the private store closes once
});
