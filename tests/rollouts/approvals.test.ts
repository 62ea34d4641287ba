/**
 * Approvals on the real servers (Postgres, Redis, S3): a protected alias refuses direct traffic
 * changes; a deployment to it waits in PendingApproval (the rollout leader does not start it) until
 * a principal other than the requester holding deployments:approve approves it (then it runs to
 * Succeeded) or rejects it (Failed, alias untouched); self-approval and principals without the
 * permission are refused; an unapproved deployment expires (Failed, alias untouched). Each step is
 * checked in the deployment's events and the audit log.
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { createApiClient, type ApiClient } from "../../client/index.ts";
import { expectOk } from "../support/deploy.ts";
import { platformKeys, type PlatformKeys } from "../support/keys.ts";
import { it, serversSkipReason, SkipError, startPlatform, type TestPlatform } from "../support/platform.ts";
import { CODE, createFunction, finished, getDeployment, waitForDeployment } from "./support.ts";

interface Principal {
  api: ApiClient;
  subject: string;
}

/** A servers-mode platform with a requester (deployer), approvers and principals that may not approve. */
function withPrincipals(env: Record<string, string>) {
  let p: TestPlatform | undefined;
  let keys: PlatformKeys | undefined;
  let skip: string | undefined;
  const who: Record<"requester" | "approver" | "deployer" | "viewer" | "admin", Principal> = {} as never;
  before(async () => {
    skip = await serversSkipReason();
    if (skip) return;
    p = await startPlatform("servers", env);
    keys = await platformKeys(p);
    const client = (key: string) => createApiClient({ baseUrl: p!.url, apiKey: key, timeoutMs: 60_000 });
    for (const [name, role, canApprove] of [
      ["requester", "deployer", false],
      ["approver", "deployer", true],
      ["deployer", "deployer", false],
      ["viewer", "viewer", true],
    ] as const) {
      const k = await keys.add(name, role, { canApprove });
      who[name] = { api: client(k.key), subject: k.subject };
    }
    who.admin = { api: client(p.key), subject: `key:${p.key.split("_")[1]}` };
  });
  after(async () => {
    await keys?.close();
    await p?.close();
  });
  const ctx = () => {
    if (skip) throw new SkipError(skip);
    return { p: p!, repos: keys!.repos, who };
  };
  return ctx;
}

/** A function with versions 1..n and alias `live` on version 1, protected, created by the requester. */
async function protectedLive(ctx: ReturnType<ReturnType<typeof withPrincipals>>, name: string, versions = 3) {
  await createFunction(ctx.p, name, Array.from({ length: versions }, (_, i) => CODE.ok(`v${i + 1}`)));
  const created = expectOk(await ctx.who.requester.api.aliases.put(name, "live", { version: 1, description: "production", protected: true }), "protected alias", 201);
  assert.equal(created.protected, true);
}

async function request(ctx: ReturnType<ReturnType<typeof withPrincipals>>, name: string, version: number, by: Principal = ctx.who.requester) {
  const d = expectOk(await by.api.deployments.create({ functionName: name, version, alias: "live", strategy: "Direct" }), "requesting a deployment", 201);
  assert.equal(d.status, "PendingApproval");
  return d;
}

const auditOf = async (ctx: ReturnType<ReturnType<typeof withPrincipals>>, resourceType: string, resourceId: string) =>
  (await ctx.repos.auditLogs.list({ resourceType, resourceId })).reverse();

describe("approvals of deployments to protected aliases [servers]", { timeout: 180_000 }, () => {
  const ctx = withPrincipals({ HOTSWAP_APPROVAL_TIMEOUT: "PT1H" });

  it("a protected alias refuses direct traffic changes and deletes; its description may change; only an approver changes its protection", async () => {
    const c = ctx();
    await protectedLive(c, "appr-rules");
    const { requester, approver } = c.who;
    const move = await requester.api.aliases.put("appr-rules", "live", { version: 2, description: "production" });
    assert.ok(!move.ok);
    assert.equal(move.error.status, 409);
    assert.equal(move.error.code, "AliasProtected");
    assert.match(move.error.message, /Alias "live" of function "appr-rules" is protected: its traffic \(version 1\) changes only through an approved deployment\. Start one with POST \/api\/v1\/deployments/);
    const weights = await approver.api.aliases.put("appr-rules", "live", { version: 1, routingConfig: { additionalVersionWeights: { "2": 0.1 } } });
    assert.ok(!weights.ok && weights.error.code === "AliasProtected", "weights are traffic too, even for an approver");
    const described = expectOk(await requester.api.aliases.put("appr-rules", "live", { version: 1, description: "prod (EU)" }), "changing the description", 200);
    assert.equal(described.description, "prod (EU)");
    assert.equal(described.protected, true, "an omitted protected leaves it as it was");
    const del = await requester.api.aliases.delete("appr-rules", "live");
    assert.ok(!del.ok && del.error.code === "AliasProtected", "a protected alias cannot be deleted");
    const unprotect = await requester.api.aliases.put("appr-rules", "live", { version: 1, description: "prod (EU)", protected: false });
    assert.ok(!unprotect.ok);
    assert.equal(unprotect.error.status, 403);
    assert.match(unprotect.error.message, /Unprotecting alias "live" of function "appr-rules" needs permission "deployments:approve"/);
    assert.equal(expectOk(await requester.api.aliases.get("appr-rules", "live"), "read").protected, true);
    const open = expectOk(await approver.api.aliases.put("appr-rules", "live", { version: 1, description: "prod (EU)", protected: false }), "unprotecting as an approver", 200);
    assert.equal(open.protected, false);
    expectOk(await requester.api.aliases.put("appr-rules", "live", { version: 2, description: "prod (EU)" }), "an unprotected alias moves directly", 200);
    const audit = await auditOf(c, "alias", "appr-rules:live");
    assert.deepEqual(
      audit.map((a) => [a.action, a.actor]),
      [
        ["alias.create", requester.subject],
        ["alias.update", requester.subject],
        ["alias.unprotect", approver.subject],
        ["alias.update", requester.subject],
      ],
    );
    assert.equal((audit[0]!.after as { protected: boolean }).protected, true);
    assert.deepEqual([(audit[2]!.before as any).protected, (audit[2]!.after as any).protected], [true, false]);
  });

  it("waits in PendingApproval until another principal with deployments:approve approves, then runs to Succeeded; principals without deployments:approve are refused", async () => {
    const c = ctx();
    await protectedLive(c, "appr-flow");
    const { requester, approver, deployer, viewer, admin } = c.who;
    const d = await request(c, "appr-flow", 2);
    const id = d.deploymentId;
    assert.equal(d.approval?.requestedBy, requester.subject);
    assert.ok(Date.parse(d.approval!.expiresAt) - Date.parse(d.approval!.requestedAt) === 3600_000, "expires HOTSWAP_APPROVAL_TIMEOUT after the request");
    assert.match(d.approval!.approvers, new RegExp(`other than ${requester.subject} holding permission "deployments:approve"`));

    // The rollout leader does not start it: still waiting, alias untouched, after several ticks.
    await new Promise((r) => setTimeout(r, 1500));
    const waiting = await getDeployment(c.p, id);
    assert.equal(waiting.status, "PendingApproval");
    assert.equal(expectOk(await requester.api.aliases.get("appr-flow", "live"), "alias").version, 1);
    const locked = await requester.api.aliases.put("appr-flow", "live", { version: 1, description: "x" });
    assert.ok(!locked.ok && locked.error.code === "AliasLocked" && /waits for approval/.test(locked.error.message), "the pending deployment owns the alias");
    const promote = await requester.api.deployments.promote(id);
    assert.ok(!promote.ok && promote.error.status === 409 && /waits for approval/.test(promote.error.message), "promote cannot skip the approval");

    const self = await requester.api.deployments.approve(id);
    assert.ok(!self.ok);
    assert.equal(self.error.status, 403, "a deployer without canApprove lacks the permission anyway");
    for (const [name, p] of [["a deployer without canApprove", deployer], ["a viewer with canApprove", viewer]] as const) {
      const denied = await p.api.deployments.approve(id);
      assert.ok(!denied.ok, name);
      assert.equal(denied.error.status, 403, name);
      assert.equal(denied.error.code, "Forbidden", name);
      assert.match(denied.error.message, /needs permission "deployments:approve"/, name);
    }
    assert.equal((await getDeployment(c.p, id)).status, "PendingApproval", "refused approvals changed nothing");

    const approved = expectOk(await approver.api.deployments.approve(id), "approving as a deployer with canApprove", 200);
    assert.equal(approved.status, "Pending");
    assert.equal(approved.approval?.approvedBy, approver.subject);
    const done = await waitForDeployment(c.p, id, finished);
    assert.equal(done.status, "Succeeded", done.reason);
    assert.equal(expectOk(await requester.api.aliases.get("appr-flow", "live"), "alias").version, 2);
    const again = await admin.api.deployments.approve(id);
    assert.ok(!again.ok);
    assert.equal(again.error.status, 409);
    assert.match(again.error.message, /Cannot approve deployment .*: it is Succeeded/);
    assert.equal(again.error.details?.status, "Succeeded", "the 409 carries the current status");

    assert.deepEqual(done.events.filter((e: any) => e.toStatus).map((e: any) => e.toStatus), ["PendingApproval", "Pending", "InProgress", "Succeeded"]);
    const approvedEvent = done.events.find((e: any) => e.type === "approved");
    assert.match(approvedEvent.reason, new RegExp(`approved by ${approver.subject} \\(requested by ${requester.subject}\\)`));
    const audit = await auditOf(c, "deployment", id);
    assert.deepEqual(audit.map((a) => [a.action, a.actor]), [["deployment.create", requester.subject], ["deployment.approve", approver.subject]]);
    assert.equal((audit[1]!.before as any).status, "PendingApproval");
    assert.equal((audit[1]!.after as any).status, "Pending");
    assert.equal((audit[1]!.after as any).approval.approvedBy, approver.subject);
    const aliasWrites = await auditOf(c, "alias", "appr-flow:live");
    assert.equal(aliasWrites.at(-1)!.actor, `deployment:${id}`, "the alias moved only through the approved deployment");
  });

  it("refuses self-approval by a principal that may approve; an admin approves; a reject needs a reason, not from the requester, and fails it with the alias untouched", async () => {
    const c = ctx();
    await protectedLive(c, "appr-reject");
    const { requester, approver, admin } = c.who;
    const first = await request(c, "appr-reject", 2, approver);
    const self = await approver.api.deployments.approve(first.deploymentId);
    assert.ok(!self.ok);
    assert.equal(self.error.status, 403);
    assert.equal(self.error.code, "Forbidden");
    assert.match(self.error.message, new RegExp(`${approver.subject} requested deployment ${first.deploymentId} and cannot approve it: a deployment to a protected alias needs a decision by any principal other than ${approver.subject}`));
    assert.equal((await getDeployment(c.p, first.deploymentId)).status, "PendingApproval");
    expectOk(await admin.api.deployments.approve(first.deploymentId), "an admin approves", 200);
    assert.equal((await waitForDeployment(c.p, first.deploymentId, finished)).status, "Succeeded");

    const d = await request(c, "appr-reject", 3);
    const noReason = await admin.api.transport.send({ method: "POST", path: `/api/v1/deployments/${d.deploymentId}/reject`, body: { json: {} } });
    assert.ok(noReason.ok && noReason.answer.status === 400, "a reject without a reason is a 400");
    const selfReject = await requester.api.deployments.reject(d.deploymentId, "never mind");
    assert.ok(!selfReject.ok && selfReject.error.status === 403, "the requester (no canApprove) may not reject");
    const rejected = expectOk(await admin.api.deployments.reject(d.deploymentId, "freeze until Monday"), "rejecting as an admin", 200);
    assert.equal(rejected.status, "Failed");
    assert.equal(rejected.reason, `rejected by ${admin.subject}: freeze until Monday; the alias was not changed`);
    assert.equal(rejected.approval?.rejectedBy, admin.subject);
    assert.equal(expectOk(await requester.api.aliases.get("appr-reject", "live"), "alias").version, 2, "the alias stayed on version 2");
    const late = await c.who.approver.api.deployments.approve(d.deploymentId);
    assert.ok(!late.ok && late.error.status === 409 && /it is Failed/.test(late.error.message));
    const view = await getDeployment(c.p, d.deploymentId);
    assert.deepEqual(view.events.map((e: any) => e.type), ["created", "rejected", "transition"]);
    assert.equal(view.aliasChanges.length, 0, "the rejected deployment never wrote the alias");
    const audit = await auditOf(c, "deployment", d.deploymentId);
    assert.deepEqual(audit.map((a) => [a.action, a.actor]), [["deployment.create", requester.subject], ["deployment.reject", admin.subject]]);
    assert.equal((audit[1]!.after as any).approval.reason, "freeze until Monday");

    const own = await request(c, "appr-reject", 3, approver);
    const ownReject = await approver.api.deployments.reject(own.deploymentId, "never mind");
    assert.ok(!ownReject.ok && ownReject.error.status === 403 && /cannot reject it.*roll it back/.test(ownReject.error.message), "nor may the requester reject its own");
    expectOk(await approver.api.deployments.rollback(own.deploymentId), "withdrawing it", 200);
  });

  it("the requester withdraws a pending deployment with rollback; the alias stays", async () => {
    const c = ctx();
    await protectedLive(c, "appr-withdraw");
    const d = await request(c, "appr-withdraw", 2);
    const r = expectOk(await c.who.requester.api.deployments.rollback(d.deploymentId, { reason: "wrong version" }), "withdrawing", 200);
    assert.equal(r.status, "RolledBack");
    assert.equal(expectOk(await c.who.requester.api.aliases.get("appr-withdraw", "live"), "alias").version, 1);
  });
});

describe("approval expiry [servers]", { timeout: 120_000 }, () => {
  const ctx = withPrincipals({ HOTSWAP_APPROVAL_TIMEOUT: "PT2S" });

  it("fails a deployment nobody approved within HOTSWAP_APPROVAL_TIMEOUT, with the alias untouched, and refuses a late approval", async () => {
    const c = ctx();
    await protectedLive(c, "appr-expire");
    const d = await request(c, "appr-expire", 2);
    const done = await waitForDeployment(c.p, d.deploymentId, finished, 20_000);
    assert.equal(done.status, "Failed");
    assert.match(done.reason, new RegExp(`not approved within 2 s \\(HOTSWAP_APPROVAL_TIMEOUT\\): the approval requested by ${c.who.requester.subject} expired at .*; the alias was not changed`));
    assert.ok(done.approval.expiredAt, "the approval record says when it expired");
    assert.ok(Date.parse(done.finishedAt) >= Date.parse(done.approval.expiresAt));
    assert.equal(expectOk(await c.who.requester.api.aliases.get("appr-expire", "live"), "alias").version, 1);
    assert.deepEqual(done.events.filter((e: any) => e.toStatus).map((e: any) => e.toStatus), ["PendingApproval", "Failed"]);
    const late = await c.who.approver.api.deployments.approve(d.deploymentId);
    assert.ok(!late.ok && late.error.status === 409 && /it is Failed/.test(late.error.message));
    const audit = await auditOf(c, "deployment", d.deploymentId);
    assert.deepEqual(audit.map((a) => [a.action, a.actor]), [["deployment.create", c.who.requester.subject], ["deployment.expire", `deployment:${d.deploymentId}`]]);
    assert.equal((audit[1]!.before as any).status, "PendingApproval");
    assert.equal((audit[1]!.after as any).status, "Failed");
  });
});
