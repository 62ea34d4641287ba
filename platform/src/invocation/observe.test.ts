import assert from "node:assert/strict";
import { test } from "node:test";
import type { InvokeOutcome } from "../../../protocol/invoke.ts";
import type { InvocationSample } from "../metrics/metrics-recorder.ts";
import { invocationOf, recordingNext, specOf, SUCCESS } from "../../../tests/support/invocation.ts";
import { ObserveStage } from "./observe.ts";

function recorder() {
  const samples: Array<[string, number, InvocationSample]> = [];
  return { samples, record: (fn: string, version: number, s: InvocationSample) => void samples.push([fn, version, s]) };
}

test("records each outcome against the version that ran", async () => {
  const m = recorder();
  const outcome = await new ObserveStage(recordingNext(SUCCESS), m).handle(invocationOf({ spec: specOf({ version: 3 }) }));
  assert.equal(outcome, SUCCESS);
  assert.deepEqual(m.samples, [["fn", 3, { error: false, durationMs: 2 }]]);
});

test("counts a handler error as an error", async () => {
  const m = recorder();
  const failed: InvokeOutcome = { kind: "function-error", payload: Buffer.from("{}"), coldStart: true, start: "fresh", durationMs: 5 };
  await new ObserveStage(recordingNext(failed), m).handle(invocationOf({ spec: specOf() }));
  assert.deepEqual(m.samples, [["fn", 1, { error: true }]]);
});

test("does not count outcomes that say nothing about the version (runner lost)", async () => {
  const m = recorder();
  await new ObserveStage(recordingNext({ kind: "platform-error", code: "RunnerLost", message: "gone" }), m).handle(invocationOf({ spec: specOf() }));
  assert.deepEqual(m.samples, []);
});

test("records nothing for a dry run", async () => {
  const m = recorder();
  await new ObserveStage({ handle: async () => undefined }, m).handle(invocationOf({ spec: specOf(), dryRun: true }));
  assert.deepEqual(m.samples, []);
});
