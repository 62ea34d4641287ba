import assert from "node:assert/strict";
import { test } from "node:test";
import { isApiError } from "../../../protocol/errors.ts";
import type { Principal } from "../auth/principal.ts";
import { invocationOf, recordingNext } from "../../../tests/support/invocation.ts";
import { AuthorizeStage } from "./authorize.ts";

const admin: Principal = { subject: "key:a", keyId: "a", method: "bearer", roles: ["admin"] };
const viewer: Principal = { subject: "key:v", keyId: "v", method: "bearer", roles: ["viewer"] };

test("lets a principal whose role grants functions:invoke through and marks the invocation authorized", async () => {
  const next = recordingNext();
  await new AuthorizeStage(next).handle(invocationOf({ principal: admin }));
  assert.equal(next.seen[0]!.authorized, true);
});

test("answers 403 Forbidden naming functions:invoke to a principal without it", async () => {
  const next = recordingNext();
  await assert.rejects(
    async () => new AuthorizeStage(next).handle(invocationOf({ principal: viewer })),
    (e: unknown) => isApiError(e) && e.code === "Forbidden" && e.status === 403 && /needs permission "functions:invoke".*"v" has role "viewer"/.test(e.message),
  );
  assert.equal(next.seen.length, 0);
});

test("holds a scoped principal to its functions", async () => {
  const scoped: Principal = { ...admin, functions: ["other"] };
  await assert.rejects(async () => new AuthorizeStage(recordingNext()).handle(invocationOf({ principal: scoped, name: "fn" })), /on function "fn"/);
  const next = recordingNext();
  await new AuthorizeStage(next).handle(invocationOf({ principal: scoped, name: "other" }));
  assert.equal(next.seen.length, 1);
});
