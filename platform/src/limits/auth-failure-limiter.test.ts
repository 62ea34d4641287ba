import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { ApiError } from "../../../protocol/errors.ts";
import { MemoryStateStore } from "../../../shared/state/memory-state-store.ts";
import type { StateStore } from "../../../shared/state/state-store.ts";
import { authenticateNow, type Authenticator } from "../auth/authentication.ts";
import type { CredentialRequest } from "../auth/credentials.ts";
import type { Principal } from "../auth/principal.ts";
import { AuthFailureLimiter, type AuthFailureLimiterOptions } from "./auth-failure-limiter.ts";

const OK: Principal = { subject: "key:good", method: "bearer", roles: ["admin"] };

function request(remoteAddress: string | undefined, authorization: string): CredentialRequest {
  return { method: "GET", path: "/api/v1/functions", rawPath: "/api/v1/functions", rawQuery: "", remoteAddress, header: (n) => (n === "authorization" ? authorization : undefined), get: () => null, body: async () => new Uint8Array() };
}

/** An authenticator standing for the key lookup: counts lookups, accepts only "good", rejects the rest asynchronously. */
function lookingUp() {
  let lookups = 0;
  const a: Authenticator = async (req) => {
    lookups++;
    if (req.header("authorization") === "good") return OK;
    throw new ApiError("Unauthorized", "Invalid or revoked API key.");
  };
  return { a, lookups: () => lookups };
}

async function outcome(authenticate: () => Principal | Promise<Principal>): Promise<number> {
  try {
    await authenticate();
    return 200;
  } catch (e) {
    return (e as ApiError).status;
  }
}

/** A started limiter on `state` (each one stands for a replica), stopped by the test. */
async function limiter(t: { after(fn: () => Promise<void>): void }, state: StateStore, opts: Partial<AuthFailureLimiterOptions> & Pick<AuthFailureLimiterOptions, "rate">): Promise<AuthFailureLimiter> {
  const l = new AuthFailureLimiter({ state, namespace: "hs:test:", ...opts });
  await l.start();
  t.after(() => l.stop());
  return l;
}

test("an address that spent its failures gets 429 with Retry-After before any lookup; other addresses are untouched", async (t) => {
  const state = new MemoryStateStore();
  t.after(() => state.close());
  const store = lookingUp();
  const authenticators = (await limiter(t, state, { rate: { rps: 1, burst: 3 } })).guard([store.a]);
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push(await outcome(() => authenticateNow(authenticators, request("10.0.0.9", `bad${i}`))));
  assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429]);
  assert.equal(store.lookups(), 3, "refused attempts never reached the key lookup");
  try {
    authenticateNow(authenticators, request("10.0.0.9", "bad"));
    assert.fail("expected a 429");
  } catch (e) {
    assert.equal((e as ApiError).code, "TooManyRequests");
    assert.match((e as ApiError).message, /Too many failed authentications from 10\.0\.0\.9 \(1 requests per second, burst 3\)/);
    assert.deepEqual((e as ApiError).headers, { "retry-after": "1" });
  }
  assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.10", "good"))), 200);
});

test("a blocked address gets one attempt back once its bucket has refilled a token", async (t) => {
  const state = new MemoryStateStore();
  t.after(() => state.close());
  const store = lookingUp();
  const authenticators = (await limiter(t, state, { rate: { rps: 20, burst: 1 } })).guard([store.a]);
  assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.9", "bad"))), 401);
  assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.9", "good"))), 429, "blocked even with a valid key");
  await delay(60); // one token at 20 per second
  assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.9", "good"))), 200);
});

test("two limiters on one state store share the budget: failures spread over both trip it at the burst, and both refuse", async (t) => {
  const state = new MemoryStateStore();
  t.after(() => state.close());
  const store = lookingUp();
  const rate = { rps: 0.1, burst: 4 };
  const replicaA = (await limiter(t, state, { rate })).guard([store.a]);
  const replicaB = (await limiter(t, state, { rate })).guard([store.a]);
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push(await outcome(() => authenticateNow(i % 2 ? replicaB : replicaA, request("10.0.0.9", `bad${i}`))));
  assert.deepEqual(statuses, [401, 401, 401, 401]);
  await delay(5); // the block is announced through the store's pub/sub, delivered on a later turn
  assert.equal(await outcome(() => authenticateNow(replicaA, request("10.0.0.9", "bad"))), 429);
  assert.equal(await outcome(() => authenticateNow(replicaB, request("10.0.0.9", "bad"))), 429);
  assert.equal(store.lookups(), 4, "one budget of four lookups for the cluster, not four per replica");
  assert.equal(await outcome(() => authenticateNow(replicaB, request("10.0.0.10", "good"))), 200);
  assert.equal(await outcome(() => authenticateNow(replicaA, request("10.0.0.10", "good"))), 200);
});

test("successes take nothing, requests without an address are not counted, and the table of blocked addresses is bounded", async (t) => {
  const state = new MemoryStateStore();
  t.after(() => state.close());
  const store = lookingUp();
  const authenticators = (await limiter(t, state, { rate: { rps: 0.1, burst: 1 }, maxAddresses: 2 })).guard([store.a]);
  for (let i = 0; i < 5; i++) assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.1", "good"))), 200);
  for (let i = 0; i < 5; i++) assert.equal(await outcome(() => authenticateNow(authenticators, request(undefined, "bad"))), 401);
  assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.2", "bad"))), 401);
  assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.2", "bad"))), 429);
  // Two more addresses are blocked: 10.0.0.2, the earliest, is forgotten here (its bucket, still empty, is not).
  await outcome(() => authenticateNow(authenticators, request("10.0.0.3", "bad")));
  await outcome(() => authenticateNow(authenticators, request("10.0.0.4", "bad")));
  await delay(5); // the announcements of those blocks are heard too
  assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.2", "bad"))), 401, "a lookup again, then blocked again");
  assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.2", "bad"))), 429);
});

test("a state store that cannot answer lets failures through uncounted and reports why", async (t) => {
  const errors: unknown[] = [];
  const broken = new MemoryStateStore();
  const down = new Error("Redis at x:6379 is down");
  const state = Object.assign(broken, { takeToken: () => Promise.reject(down) });
  t.after(() => broken.close());
  const store = lookingUp();
  const authenticators = (await limiter(t, state, { rate: { rps: 0.1, burst: 1 }, onError: (e) => errors.push(e) })).guard([store.a]);
  for (let i = 0; i < 3; i++) assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.9", "bad"))), 401);
  assert.deepEqual(errors, [down, down, down]);
});
