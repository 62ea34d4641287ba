import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, isApiError } from "../../../protocol/errors.ts";
import type { Authenticator } from "../auth/authentication.ts";
import type { CredentialRequest } from "../auth/credentials.ts";
import { SYSTEM_PRINCIPAL, type Principal } from "../auth/principal.ts";
import { invocationOf, recordingNext } from "../../../tests/support/invocation.ts";
import { AuthenticateStage } from "./authenticate.ts";

const ALICE: Principal = { subject: "key:alice", keyId: "alice", method: "bearer", roles: ["admin"] };

function credentials(authorization?: string): CredentialRequest {
  return {
    method: "POST",
    path: "/api/v1/functions/fn/invoke",
    rawPath: "/api/v1/functions/fn/invoke",
    rawQuery: "",
    header: (n) => (n === "authorization" ? authorization : undefined),
    get: (n) => (n === "authorization" ? (authorization ?? null) : null),
    body: async () => new Uint8Array(),
  };
}

test("sets the principal the first authenticator that recognises the credentials returns", async () => {
  const next = recordingNext();
  const declines: Authenticator = () => null;
  const accepts: Authenticator = () => ALICE;
  await new AuthenticateStage(next, [declines, accepts]).handle(invocationOf({ credentials: credentials("Bearer x") }));
  assert.deepEqual(next.seen[0]!.principal, ALICE);
});

test("goes on in the same turn when the answer is synchronous (the cached API key)", () => {
  const next = recordingNext();
  void new AuthenticateStage(next, [() => ALICE]).handle(invocationOf({ credentials: credentials("Bearer x") }));
  assert.equal(next.seen.length, 1, "the next stage ran before any await");
});

test("waits for an authenticator that must look the key up", async () => {
  const next = recordingNext();
  await new AuthenticateStage(next, [async () => null, async () => ALICE]).handle(invocationOf({ credentials: credentials("Bearer x") }));
  assert.deepEqual(next.seen[0]!.principal, ALICE);
});

test("answers 401 saying how to authenticate when every authenticator declines, and the chain stops", async () => {
  const next = recordingNext();
  await assert.rejects(
    async () => new AuthenticateStage(next, [() => null]).handle(invocationOf({ credentials: credentials() })),
    (e: unknown) => isApiError(e) && e.code === "Unauthorized" && /^Missing credentials\. Send "Authorization: Bearer/.test(e.message),
  );
  assert.equal(next.seen.length, 0);
});

test("passes an authenticator's refusal on unchanged", async () => {
  const refuses: Authenticator = () => {
    throw new ApiError("InvalidSignature", "bad signature");
  };
  await assert.rejects(async () => new AuthenticateStage(recordingNext(), [refuses]).handle(invocationOf({ credentials: credentials("AWS4-HMAC-SHA256 x") })), /bad signature/);
});

test("lets an entry that comes with its principal (the platform's own hooks) through without credentials", async () => {
  const next = recordingNext();
  await new AuthenticateStage(next, []).handle(invocationOf({ principal: SYSTEM_PRINCIPAL }));
  assert.equal(next.seen[0]!.principal, SYSTEM_PRINCIPAL);
});

test("refuses an invocation with neither credentials nor a principal", async () => {
  await assert.rejects(async () => new AuthenticateStage(recordingNext(), [() => ALICE]).handle(invocationOf()), (e: unknown) => isApiError(e) && e.code === "Unauthorized");
});
