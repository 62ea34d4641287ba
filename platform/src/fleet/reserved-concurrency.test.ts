/**
 * ReservedConcurrencyGate: the per-function cap on concurrent invocations (429 beyond it), alone
 * and across replicas that share a state store.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { FunctionSpec, InvokeOutcome, InvokeRequest } from "../../../protocol/invoke.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import { functionSpec } from "../../../tests/support/function-spec.ts";
import { heldRunner } from "../../../tests/support/held-runner.ts";
import { ReservedConcurrencyGate } from "./reserved-concurrency.ts";

const spec = (reservedConcurrency?: number): FunctionSpec =>
  functionSpec({ functionName: "capped", codeSha256: "c".repeat(64), ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }) });

const req = (s: FunctionSpec): InvokeRequest => ({ spec: s, requestId: "r", payload: Buffer.from("{}") });

test("admits up to reservedConcurrency at once and throttles the rest with TooManyRequests", async () => {
  const { runner, releaseAll } = heldRunner();
  const gate = new ReservedConcurrencyGate(runner);
  const s = spec(2);
  const a = gate.invoke(req(s));
  const b = gate.invoke(req(s));
  const c = await gate.invoke(req(s));
  assert.equal(c.kind, "platform-error");
  if (c.kind === "platform-error") {
    assert.equal(c.code, "TooManyRequests");
    assert.match(c.message, /reservedConcurrency \(2 concurrent invocations across the fleet\)/);
  }
  releaseAll();
  assert.equal((await a).kind, "success");
  assert.equal((await b).kind, "success");
  assert.equal(gate.inflight("capped"), 0);
  const d = gate.invoke(req(s));
  releaseAll();
  assert.equal((await d).kind, "success");
});

test("reservedConcurrency 0 throttles everything; no setting means no cap", async () => {
  const { runner, releaseAll } = heldRunner();
  const gate = new ReservedConcurrencyGate(runner);
  const zero = await gate.invoke(req(spec(0)));
  assert.equal(zero.kind === "platform-error" && zero.code, "TooManyRequests");
  const many = Array.from({ length: 20 }, () => gate.invoke(req(spec())));
  releaseAll();
  for (const o of await Promise.all(many)) assert.equal(o.kind, "success");
});

test("replicas sharing a state store count each other's invocations", async () => {
  const state = new MemoryStateStore();
  const one = heldRunner();
  const two = heldRunner();
  const g1 = new ReservedConcurrencyGate(one.runner, { state });
  const g2 = new ReservedConcurrencyGate(two.runner, { state });
  await g1.start();
  await g2.start();
  const s = spec(3);
  const running = [g1.invoke(req(s)), g1.invoke(req(s)), g1.invoke(req(s))];
  await sleep(60); // the count crosses pub/sub within ~20 ms
  const over = await g2.invoke(req(s));
  assert.equal(over.kind === "platform-error" && over.code, "TooManyRequests");
  one.releaseAll();
  await Promise.all(running);
  await sleep(60);
  const ok = g2.invoke(req(s));
  two.releaseAll();
  assert.equal((await ok).kind, "success");
  await g1.stop();
  await g2.stop();
  await state.close();
});

test("admit and release: the pipeline's stage takes slots up to the cap and gives them back", () => {
  const { runner } = heldRunner();
  const gate = new ReservedConcurrencyGate(runner);
  assert.equal(gate.admit(spec()), undefined, "no cap, no slot");
  assert.equal(gate.inflight("capped"), 0);
  assert.equal(gate.admit(spec(2)), undefined);
  assert.equal(gate.admit(spec(2)), undefined);
  const third = gate.admit(spec(2));
  assert.equal(third?.kind === "platform-error" && third.code, "TooManyRequests");
  assert.equal(gate.inflight("capped"), 2);
  gate.release(spec(2));
  assert.equal(gate.admit(spec(2)), undefined, "a released slot is free again");
  gate.release(spec(2));
  gate.release(spec(2));
  assert.equal(gate.inflight("capped"), 0);
  assert.equal(gate.runner, runner);
});
