import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "../../../protocol/errors.ts";
import { authenticateNow, type Authenticator } from "../auth/authentication.ts";
import type { CredentialRequest } from "../auth/credentials.ts";
import type { Principal } from "../auth/principal.ts";
import { AuthFailureLimiter } from "./auth-failure-limiter.ts";

const OK: Principal = { subject: "key:good", method: "bearer", roles: ["admin"] };

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

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

test("an address that spent its failures gets 429 with Retry-After before any lookup; other addresses are untouched", async () => {
  const t = clock();
  const limiter = new AuthFailureLimiter({ rate: { rps: 1, burst: 3 }, now: t.now });
  const store = lookingUp();
  const authenticators = limiter.guard([store.a]);
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
  // One second later the address has one attempt again.
  t.advance(1000);
  assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.9", "good"))), 200);
});

test("successes take nothing, requests without an address are not counted, and the address table is bounded", async () => {
  const limiter = new AuthFailureLimiter({ rate: { rps: 1, burst: 1 }, maxAddresses: 2 });
  const store = lookingUp();
  const authenticators = limiter.guard([store.a]);
  for (let i = 0; i < 5; i++) assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.1", "good"))), 200);
  for (let i = 0; i < 5; i++) assert.equal(await outcome(() => authenticateNow(authenticators, request(undefined, "bad"))), 401);
  assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.2", "bad"))), 401);
  assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.2", "bad"))), 429);
  // Two more addresses fail: 10.0.0.2 is the longest quiet and is forgotten.
  await outcome(() => authenticateNow(authenticators, request("10.0.0.3", "bad")));
  await outcome(() => authenticateNow(authenticators, request("10.0.0.4", "bad")));
  assert.equal(await outcome(() => authenticateNow(authenticators, request("10.0.0.2", "bad"))), 401);
});
