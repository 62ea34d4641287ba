/**
 * Deployment commands and ownership: one active deployment per alias (409, or onConflict
 * "cancel"), direct alias updates refused while a deployment owns the alias, pause/resume
 * (timers exclude the pause), promote, manual rollback that restores the alias exactly, and
 * commands on finished deployments.
 */
import assert from "node:assert/strict";
import { forEachMode, it } from "../support/platform.ts";
import { CODE, createLiveFunction, finished, getDeployment, startDeployment, waitForDeployment } from "./support.ts";

const canary = (name: string, extra: Record<string, unknown> = {}) => ({
  functionName: name,
  version: 2,
  strategy: "Canary",
  config: { canaryPercentage: 25, canaryDuration: "PT1M" },
  analysis: { interval: "PT1S", minRequests: 5 },
  ...extra,
});

forEachMode("deployment commands", (p) => {
  it("refuses a second deployment on the same alias with 409, and cancels the first with onConflict cancel", async () => {
    await createLiveFunction(p(), "cmd-conf", [CODE.ok("v1"), CODE.ok("v2"), CODE.ok("v3")]);
    const first = await startDeployment(p(), canary("cmd-conf"));
    await waitForDeployment(p(), first, (d) => d.phase === "canary");
    const second = await p().api("POST", "/api/v1/deployments", canary("cmd-conf", { version: 3 }));
    assert.equal(second.status, 409, second.text);
    assert.equal(second.json.error.code, "DeploymentConflict");
    assert.match(second.json.error.message, new RegExp(`Deployment ${first} \\(Canary to version 2, InProgress\\) is already active on alias "live"`));
    const other = await p().api("POST", "/api/v1/deployments", canary("cmd-conf", { version: 3, alias: "beta" }));
    assert.equal(other.status, 400, "another alias is not in conflict (it fails only because beta does not exist)");
    const third = await p().api("POST", "/api/v1/deployments", canary("cmd-conf", { version: 3, onConflict: "cancel" }));
    assert.equal(third.status, 201, third.text);
    const cancelled = await getDeployment(p(), first);
    assert.equal(cancelled.status, "RolledBack");
    assert.match(cancelled.reason, /cancelled by a new deployment of version 3 \(onConflict: "cancel"\)/);
    const next = await waitForDeployment(p(), third.json.deploymentId, (d) => d.phase === "canary");
    assert.equal(next.fromVersion, 1, "the new deployment starts from the alias as the cancelled one restored it");
    assert.deepEqual(next.currentWeights, { "1": 0.75, "3": 0.25 });
    await p().api("POST", `/api/v1/deployments/${third.json.deploymentId}/rollback`, {});
  });

  it("refuses direct alias updates and deletes with 409 while a deployment owns the alias, and allows them after", async () => {
    await createLiveFunction(p(), "cmd-lock", [CODE.ok("v1"), CODE.ok("v2")]);
    const id = await startDeployment(p(), canary("cmd-lock"));
    await waitForDeployment(p(), id, (d) => d.phase === "canary");
    const put = await p().api("PUT", "/api/v1/functions/cmd-lock/aliases/live", { version: 2 });
    assert.equal(put.status, 409, put.text);
    assert.equal(put.json.error.code, "AliasLocked");
    assert.match(put.json.error.message, new RegExp(`owned by deployment ${id}.*POST /api/v1/deployments/${id}/rollback`));
    assert.equal((await p().api("DELETE", "/api/v1/functions/cmd-lock/aliases/live")).status, 409);
    const other = await p().api("PUT", "/api/v1/functions/cmd-lock/aliases/beta", { version: 2 });
    assert.equal(other.status, 201, "other aliases stay writable");
    const rb = await p().api("POST", `/api/v1/deployments/${id}/rollback`, { reason: "changed my mind" });
    assert.equal(rb.status, 200, rb.text);
    assert.equal(rb.json.status, "RolledBack");
    assert.equal((await p().api("PUT", "/api/v1/functions/cmd-lock/aliases/live", { version: 2 })).status, 200);
  });

  it("pauses and resumes: weights hold while paused and the step timer excludes the pause", async () => {
    await createLiveFunction(p(), "cmd-pause", [CODE.ok("v1"), CODE.ok("v2")]);
    const id = await startDeployment(p(), canary("cmd-pause", { config: { canaryPercentage: 25, canaryDuration: "PT2S" }, analysis: { interval: "PT1S", minRequests: 1 } }));
    await waitForDeployment(p(), id, (d) => d.phase === "canary");
    const paused = await p().api("POST", `/api/v1/deployments/${id}/pause`, { reason: "investigating" });
    assert.equal(paused.status, 200, paused.text);
    assert.equal(paused.json.status, "Paused");
    const again = await p().api("POST", `/api/v1/deployments/${id}/pause`);
    assert.equal(again.status, 409);
    assert.match(again.json.error.message, /Cannot pause deployment .*: it is Paused/);
    // Traffic that would satisfy the analysis, then longer than canaryDuration: a paused canary does not advance.
    for (let i = 0; i < 5; i++) await p().api("POST", "/api/v1/functions/cmd-pause/invoke?qualifier=2", "{}", { "content-type": "application/json" });
    await new Promise((r) => setTimeout(r, 2500));
    const still = await getDeployment(p(), id);
    assert.equal(still.status, "Paused");
    assert.deepEqual(still.currentWeights, { "1": 0.75, "2": 0.25 });
    const resumed = await p().api("POST", `/api/v1/deployments/${id}/resume`, { reason: "all clear" });
    assert.equal(resumed.status, 200, resumed.text);
    assert.equal(resumed.json.status, "InProgress");
    const resumedAt = Date.now();
    for (let i = 0; i < 5; i++) await p().api("POST", "/api/v1/functions/cmd-pause/invoke?qualifier=2", "{}", { "content-type": "application/json" });
    const done = await waitForDeployment(p(), id, finished);
    assert.equal(done.status, "Succeeded", done.reason);
    assert.ok(Date.parse(done.finishedAt) - resumedAt > 0, "it finished after the resume");
    const statuses = done.events.filter((e: any) => e.toStatus).map((e: any) => e.toStatus);
    assert.deepEqual(statuses, ["Pending", "InProgress", "Paused", "InProgress", "Succeeded"]);
    assert.ok(done.events.some((e: any) => /paused by key:.*: investigating/.test(e.reason ?? "")));
  });

  it("promotes a canary at once, and answers 409 for commands on a finished deployment", async () => {
    await createLiveFunction(p(), "cmd-promote", [CODE.ok("v1"), CODE.ok("v2")]);
    const id = await startDeployment(p(), canary("cmd-promote"));
    await waitForDeployment(p(), id, (d) => d.phase === "canary");
    const r = await p().api("POST", `/api/v1/deployments/${id}/promote`);
    assert.equal(r.status, 200, r.text);
    const done = await waitForDeployment(p(), id, finished);
    assert.equal(done.status, "Succeeded");
    assert.equal((await p().api("GET", "/api/v1/functions/cmd-promote/aliases/live")).json.version, 2);
    for (const action of ["pause", "resume", "promote", "rollback"]) {
      const late = await p().api("POST", `/api/v1/deployments/${id}/${action}`, {});
      assert.equal(late.status, 409, `${action}: ${late.text}`);
      assert.match(late.json.error.message, new RegExp(`already finished \\(Succeeded.*nothing to ${action}`));
    }
  });

  it("rolls back by hand to the exact alias before, extra weights and description included", async () => {
    await createLiveFunction(p(), "cmd-rb", [CODE.ok("v1"), CODE.ok("v2"), CODE.ok("v3")]);
    const put = await p().api("PUT", "/api/v1/functions/cmd-rb/aliases/live", {
      version: 1,
      routingConfig: { additionalVersionWeights: { "2": 0.05 } },
      description: "hand-tuned",
    });
    assert.equal(put.status, 200);
    const before = put.json;
    const id = await startDeployment(p(), canary("cmd-rb", { version: 3 }));
    const running = await waitForDeployment(p(), id, (d) => d.phase === "canary");
    assert.deepEqual(running.currentWeights, { "1": 0.75, "3": 0.25 });
    const rb = await p().api("POST", `/api/v1/deployments/${id}/rollback`, { reason: "manual" });
    assert.equal(rb.status, 200, rb.text);
    const after = (await p().api("GET", "/api/v1/functions/cmd-rb/aliases/live")).json;
    assert.deepEqual({ ...after, updatedAt: undefined }, { ...before, updatedAt: undefined });
    const view = await getDeployment(p(), id);
    assert.deepEqual(view.currentWeights, { "1": 0.95, "2": 0.05 });
    assert.match(view.reason, /rolled back by key:.*: manual/);
    assert.deepEqual(
      view.aliasChanges.map((c: any) => [c.action, c.before.routingConfig.additionalVersionWeights, c.after.routingConfig.additionalVersionWeights]),
      [
        ["alias.update", { "2": 0.05 }, { "3": 0.25 }],
        ["alias.update", { "3": 0.25 }, { "2": 0.05 }],
      ],
      "each alias write is audited with its before and after",
    );
  });

  it("lists deployments by function and status, and 404s an unknown id", async () => {
    await createLiveFunction(p(), "cmd-list", [CODE.ok("v1"), CODE.ok("v2")]);
    const id = await startDeployment(p(), { functionName: "cmd-list", version: 2, strategy: "Direct" });
    await waitForDeployment(p(), id, finished);
    const all = await p().api("GET", "/api/v1/deployments?functionName=cmd-list");
    assert.equal(all.status, 200);
    assert.deepEqual(all.json.deployments.map((d: any) => d.deploymentId), [id]);
    const none = await p().api("GET", "/api/v1/deployments?functionName=cmd-list&status=InProgress");
    assert.deepEqual(none.json.deployments, []);
    const bad = await p().api("GET", "/api/v1/deployments?status=Done");
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /query field "status"/);
    const missing = await p().api("GET", "/api/v1/deployments/00000000-0000-4000-8000-000000000000");
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, "DeploymentNotFound");
    assert.equal((await p().api("POST", "/api/v1/deployments/nope/pause")).status, 404);
  });
});
