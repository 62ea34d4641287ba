import assert from "node:assert/strict";
import { test } from "node:test";
import { ReservedConcurrencyGate } from "../fleet/reserved-concurrency.ts";
import type { InvocationSample } from "../metrics/metrics-recorder.ts";
import { RolloutWindowsObserver } from "../metrics/rollout-windows-observer.ts";
import { specOf, SUCCESS } from "../../../tests/support/invocation.ts";
import { heldRunner } from "../../../tests/support/held-runner.ts";
import type { RoutingTable } from "./routing-table.ts";
import { Invoker } from "./invoker.ts";

const routing = (reservedConcurrency?: number) =>
  ({ resolve: (name: string) => ({ spec: specOf({ functionName: name, ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }) }) }) }) as unknown as RoutingTable;

test("the platform's own invocations go through the pipeline: resolved, run and recorded", async () => {
  const { runner, sent, releaseAll } = heldRunner();
  const samples: InvocationSample[] = [];
  const invoker = new Invoker(routing(), runner, [new RolloutWindowsObserver({ record: (_f: string, _v: number, s: InvocationSample) => void samples.push(s) })]);
  const pending = invoker.invoke("hook", undefined, Buffer.alloc(0), { requestId: "deployment-1-smoke" });
  await new Promise((r) => setImmediate(r));
  releaseAll();
  const { spec, outcome } = await pending;
  assert.equal(spec.functionName, "hook");
  assert.equal(outcome, SUCCESS);
  assert.equal(sent[0]!.requestId, "deployment-1-smoke");
  assert.equal(sent[0]!.payload.toString(), "{}", "an empty event is {}");
  assert.equal(samples.length, 1);
});

test("with server.ts's reserved-concurrency gate as its reservations, each invocation takes exactly one slot", async () => {
  const { runner, releaseAll } = heldRunner();
  const gate = new ReservedConcurrencyGate(runner);
  const invoker = new Invoker(routing(1), gate.runner, [], gate);
  const first = invoker.invoke("capped", undefined, Buffer.from("{}"), { requestId: "a" });
  await new Promise((r) => setImmediate(r));
  assert.equal(gate.inflight("capped"), 1, "counted once, not by both the stage and the gate");
  const second = await invoker.invoke("capped", undefined, Buffer.from("{}"), { requestId: "b" });
  assert.equal(second.outcome.kind === "platform-error" && second.outcome.code, "TooManyRequests");
  releaseAll();
  assert.equal((await first).outcome, SUCCESS);
  assert.equal(gate.inflight("capped"), 0);
});
