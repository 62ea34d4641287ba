import assert from "node:assert/strict";
import { test } from "node:test";
import type { FunctionSpec, InvokeOutcome } from "../../../protocol/invoke.ts";
import { invocationOf, recordingNext, specOf } from "../../../tests/support/invocation.ts";
import { ReservedConcurrencyStage, type ConcurrencyReservations } from "./reserved-concurrency.ts";

const THROTTLED: InvokeOutcome = { kind: "platform-error", code: "TooManyRequests", message: "at its reservedConcurrency" };

function reservations(free: number) {
  const log: string[] = [];
  const r: ConcurrencyReservations = {
    admit: (spec: FunctionSpec) => {
      log.push(`admit ${spec.functionName}`);
      if (free === 0) return THROTTLED;
      free--;
      return undefined;
    },
    release: (spec: FunctionSpec) => {
      log.push(`release ${spec.functionName}`);
      free++;
    },
  };
  return { r, log };
}

test("a function without a cap passes without taking a slot", async () => {
  const { r, log } = reservations(0);
  const next = recordingNext();
  await new ReservedConcurrencyStage(next, r).handle(invocationOf({ spec: specOf() }));
  assert.equal(next.seen.length, 1);
  assert.deepEqual(log, []);
});

test("a capped function takes a slot around the rest of the chain and gives it back", async () => {
  const { r, log } = reservations(1);
  const next = recordingNext();
  await new ReservedConcurrencyStage(next, r).handle(invocationOf({ spec: specOf({ reservedConcurrency: 1 }) }));
  assert.deepEqual(log, ["admit fn", "release fn"]);
});

test("gives the slot back when the rest of the chain fails", async () => {
  const { r, log } = reservations(1);
  const failing = { handle: async () => Promise.reject(new Error("runner lost")) };
  await assert.rejects(async () => new ReservedConcurrencyStage(failing, r).handle(invocationOf({ spec: specOf({ reservedConcurrency: 1 }) })), /runner lost/);
  assert.deepEqual(log, ["admit fn", "release fn"]);
});

test("answers TooManyRequests without running when no slot is free", async () => {
  const { r } = reservations(0);
  const next = recordingNext();
  assert.deepEqual(await new ReservedConcurrencyStage(next, r).handle(invocationOf({ spec: specOf({ reservedConcurrency: 0 }) })), THROTTLED);
  assert.equal(next.seen.length, 0);
});
