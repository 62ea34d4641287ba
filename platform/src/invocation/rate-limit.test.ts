import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ApiError } from "../../../protocol/errors.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import { invocationOf, recordingNext, specOf } from "../../../tests/support/invocation.ts";
import { SYSTEM_PRINCIPAL, type Principal } from "../auth/principal.ts";
import { RequestLimits } from "../limits/request-limits.ts";
import { FunctionRateLimitStage, KeyRateLimitStage } from "./rate-limit.ts";

const state = new MemoryStateStore();
after(() => state.close());

const key = (over: Partial<Principal> = {}): Principal => ({ subject: `key:${Math.random().toString(36).slice(2, 10)}`, method: "bearer", roles: ["admin"], ...over });

function limits(defaults = {}) {
  return new RequestLimits({ state, namespace: `hs:${Math.random()}:`, defaults });
}

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(
    () => assert.fail("expected a 429"),
    (err: unknown) => err,
  );
  assert.ok(e instanceof ApiError);
  return e;
}

test("without a limit the key stage hands on the next link's own promise (no await of its own)", async () => {
  const next = recordingNext();
  const inv = invocationOf({ principal: key() });
  const answer = new KeyRateLimitStage(next, limits()).handle(inv);
  assert.equal(next.seen.length, 1, "the next link ran in the same turn");
  await answer;
});

test("a key's own limit answers 429 TooManyRequests past its burst, naming the limit, with Retry-After in whole seconds", async () => {
  const next = recordingNext();
  const stage = new KeyRateLimitStage(next, limits());
  const principal = key({ rateLimit: { rps: 0.5, burst: 2 } });
  await stage.handle(invocationOf({ principal }));
  await stage.handle(invocationOf({ principal }));
  const e = await refusal(stage.handle(invocationOf({ principal })));
  assert.equal(e.status, 429);
  assert.equal(e.code, "TooManyRequests");
  assert.match(e.message, new RegExp(`"${principal.subject}" is over its rate limit \\(0.5 requests per second, burst 2\\); retry after 2 s`));
  assert.deepEqual(e.headers, { "retry-after": "2" });
  assert.equal(next.seen.length, 2);
  // Another key has its own bucket.
  await stage.handle(invocationOf({ principal: key({ rateLimit: { rps: 0.5, burst: 2 } }) }));
  assert.equal(next.seen.length, 3);
});

test("the server default applies to keys without their own limit; the platform's own principal is never limited", async () => {
  const stage = new KeyRateLimitStage(recordingNext(), limits({ key: { rps: 1, burst: 1 } }));
  const principal = key();
  await stage.handle(invocationOf({ principal }));
  await refusal(stage.handle(invocationOf({ principal })));
  for (let i = 0; i < 5; i++) await stage.handle(invocationOf({ principal: SYSTEM_PRINCIPAL }));
});

test("a function's limit counts invocations of the function whoever calls, and skips the platform's queued re-runs", async () => {
  const next = recordingNext();
  const stage = new FunctionRateLimitStage(next, limits());
  const spec = specOf({ functionName: `f${Math.random().toString(36).slice(2, 8)}`, rateLimit: { rps: 1, burst: 2 } });
  await stage.handle(invocationOf({ principal: key(), spec }));
  await stage.handle(invocationOf({ principal: key(), spec }));
  const e = await refusal(stage.handle(invocationOf({ principal: key(), spec })));
  assert.match(e.message, new RegExp(`function "${spec.functionName}" is over its rate limit \\(1 requests per second, burst 2\\)`));
  assert.deepEqual(e.headers, { "retry-after": "1" });
  await stage.handle(invocationOf({ principal: SYSTEM_PRINCIPAL, spec }));
  assert.equal(next.seen.length, 3);
});

test("the function default applies to functions without their own limit", async () => {
  const stage = new FunctionRateLimitStage(recordingNext(), limits({ function: { rps: 1, burst: 1 } }));
  const spec = specOf({ functionName: "dflt" });
  await stage.handle(invocationOf({ principal: key(), spec }));
  await refusal(stage.handle(invocationOf({ principal: key(), spec })));
});

test("a state store that fails lets the request through and reports the failure", async () => {
  const errors: unknown[] = [];
  const broken = new RequestLimits({ state: { takeToken: () => Promise.reject(new Error("Redis at x:6379 is down")) }, namespace: "hs:x:", onError: (e) => errors.push(e) });
  const next = recordingNext();
  await new KeyRateLimitStage(next, broken).handle(invocationOf({ principal: key({ rateLimit: { rps: 1, burst: 1 } }) }));
  assert.equal(next.seen.length, 1);
  assert.equal(errors.length, 1);
});
