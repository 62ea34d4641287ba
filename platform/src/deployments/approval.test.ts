import { test } from "node:test";
import assert from "node:assert/strict";
import { isApiError } from "../../../protocol/errors.ts";
import type { Deployment } from "../db/index.ts";
import { approvalRequest, assertDecidable, expiryReason, isExpired } from "./approval.ts";

const T0 = Date.parse("2026-12-07T10:00:00Z");
const pending = (over: Partial<Deployment> = {}): Deployment =>
  ({ id: "d1", status: "PendingApproval", createdBy: "key:req", command: null, reason: null, approval: approvalRequest("key:req", T0, 3600_000), ...over }) as Deployment;
const approver = { id: "key:boss", canApprove: true };

const refuses = (status: number, pattern: RegExp) => (e: unknown) => isApiError(e) && e.status === status && pattern.test(e.message);

test("an approval request expires HOTSWAP_APPROVAL_TIMEOUT after it was made, and names who may decide", () => {
  const a = approvalRequest("key:req", T0, 3600_000);
  assert.equal(a.expiresAt, "2026-12-07T11:00:00.000Z");
  assert.match(a.approvers, /other than key:req holding permission "deployments:approve"/);
  assert.equal(isExpired(a, T0 + 3599_999), false);
  assert.equal(isExpired(a, T0 + 3600_000), true);
  assert.match(expiryReason(a), /^not approved within 1 h \(HOTSWAP_APPROVAL_TIMEOUT\): the approval requested by key:req expired at 2026-12-07T11:00:00.000Z; the alias was not changed$/);
});

test("another principal holding deployments:approve may decide while it waits and before it expires", () => {
  assert.equal(assertDecidable(pending(), "approve", approver, T0 + 1000).requestedBy, "key:req");
});

test("refuses the requester (403) even when it holds the permission, and a principal without it (403)", () => {
  assert.throws(() => assertDecidable(pending(), "approve", { id: "key:req", canApprove: true }, T0), refuses(403, /key:req requested deployment d1 and cannot approve it/));
  assert.throws(() => assertDecidable(pending(), "reject", { id: "key:req", canApprove: true }, T0), refuses(403, /cannot reject it.*roll it back/));
  assert.throws(() => assertDecidable(pending(), "approve", { id: "key:other" }, T0), refuses(403, /needs permission "deployments:approve"/));
});

test("answers 409 naming the status when it does not wait for approval, a command is queued, or the request expired", () => {
  assert.throws(() => assertDecidable(pending({ status: "InProgress" }), "approve", approver, T0), refuses(409, /it is InProgress; only a PendingApproval deployment/));
  assert.throws(
    () => assertDecidable(pending({ command: { action: "rollback", reason: "", actor: "key:req", at: "" } }), "approve", approver, T0),
    refuses(409, /A rollback request on deployment d1 is being applied/),
  );
  assert.throws(() => assertDecidable(pending(), "approve", approver, T0 + 3600_000), refuses(409, /expired at 2026-12-07T11:00:00.000Z/));
});
