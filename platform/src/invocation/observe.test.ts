import assert from "node:assert/strict";
import { test } from "node:test";
import type { InvokeOutcome } from "../../../protocol/invoke.ts";
import type { InvocationSample } from "../metrics/metrics-recorder.ts";
import { RolloutWindowsObserver } from "../metrics/rollout-windows-observer.ts";
import { invocationOf, recordingNext, specOf, SUCCESS } from "../../../tests/support/invocation.ts";
import { ObserveStage, type InvocationObserver } from "./observe.ts";

function recorder() {
  const samples: Array<[string, number, InvocationSample]> = [];
  return { samples, record: (fn: string, version: number, s: InvocationSample) => void samples.push([fn, version, s]) };
}

function windowsStage(next: ConstructorParameters<typeof ObserveStage>[0], m: ReturnType<typeof recorder>) {
  return new ObserveStage(next, [new RolloutWindowsObserver(m)]);
}

test("records each outcome against the version that ran", async () => {
  const m = recorder();
  const outcome = await windowsStage(recordingNext(SUCCESS), m).handle(invocationOf({ spec: specOf({ version: 3 }) }));
  assert.equal(outcome, SUCCESS);
  assert.deepEqual(m.samples, [["fn", 3, { error: false, durationMs: 2 }]]);
});

test("counts a handler error as an error", async () => {
  const m = recorder();
  const failed: InvokeOutcome = { kind: "function-error", payload: Buffer.from("{}"), coldStart: true, start: "fresh", durationMs: 5 };
  await windowsStage(recordingNext(failed), m).handle(invocationOf({ spec: specOf() }));
  assert.deepEqual(m.samples, [["fn", 1, { error: true }]]);
});

test("does not count outcomes that say nothing about the version (runner lost)", async () => {
  const m = recorder();
  await windowsStage(recordingNext({ kind: "platform-error", code: "RunnerLost", message: "gone" }), m).handle(invocationOf({ spec: specOf() }));
  assert.deepEqual(m.samples, []);
});

test("records nothing for a dry run", async () => {
  const m = recorder();
  await windowsStage({ handle: async () => undefined }, m).handle(invocationOf({ spec: specOf(), dryRun: true }));
  assert.deepEqual(m.samples, []);
});

test("every observer sees the outcome in order, and one that throws changes nothing for the caller or the others", async () => {
  const seen: string[] = [];
  const errors: unknown[] = [];
  const observers: InvocationObserver[] = [
    { observe: () => void seen.push("first") },
    { observe: () => { throw new Error("broken observer"); } },
    { observe: (inv, outcome, startedAt) => void seen.push(`third:${inv.spec!.version}:${outcome.kind}:${typeof startedAt}`) },
  ];
  const outcome = await new ObserveStage(recordingNext(SUCCESS), observers, (e) => errors.push(e)).handle(invocationOf({ spec: specOf({ version: 2 }) }));
  assert.equal(outcome, SUCCESS);
  assert.deepEqual(seen, ["first", "third:2:success:number"]);
  assert.equal((errors[0] as Error).message, "broken observer");
});
