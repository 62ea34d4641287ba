/**
 * Contract suite, part two: the operational repositories (API keys, audit log, runner nodes,
 * deployments and their events, triggers). Called by runDatabaseContract in database.contract.ts,
 * which owns the shared database these tests run on.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { uniqueName, type ContractContext } from "./contract-support.ts";
import { DuplicateError } from "./errors.ts";
import { deployments } from "./schema.ts";
import { eq } from "drizzle-orm";

export function runOperationsContract(ctx: ContractContext): void {
  describeApiKeys(ctx);
  describeAuditLogs(ctx);
  describeRunnerNodes(ctx);
  describeDeployments(ctx);
  describeTriggers(ctx);
}

function describeApiKeys(ctx: ContractContext): void {
  describe("apiKeys", () => {
    const key = (id: string, role?: string) => ({
      id,
      name: `key ${id}`,
      secretHash: `hash-${id}`,
      secretEnc: `enc-${id}`,
      role,
    });

    test("insert defaults the role to admin and get returns the secret material", async () => {
      const id = uniqueName("AK");
      const inserted = await ctx.repos.apiKeys.insert(key(id));
      assert.deepEqual(
        [inserted.id, inserted.name, inserted.secretHash, inserted.secretEnc, inserted.role],
        [id, `key ${id}`, `hash-${id}`, `enc-${id}`, "admin"],
      );
      assert.equal(inserted.lastUsedAt, null);
      assert.equal(inserted.revokedAt, null);
      assert.deepEqual(await ctx.repos.apiKeys.get(id), inserted);
      assert.equal(await ctx.repos.apiKeys.get(uniqueName("AK")), null);
    });

    test("insert throws DuplicateError for an existing id", async () => {
      const id = uniqueName("AK");
      await ctx.repos.apiKeys.insert(key(id));
      await assert.rejects(ctx.repos.apiKeys.insert(key(id, "reader")), DuplicateError);
      assert.equal((await ctx.repos.apiKeys.get(id))?.role, "admin");
    });

    test("list never returns secret fields; count counts every key", async () => {
      const before = await ctx.repos.apiKeys.count();
      const ids = [uniqueName("AK"), uniqueName("AK")];
      for (const id of ids) await ctx.repos.apiKeys.insert(key(id, "reader"));
      await ctx.repos.apiKeys.revoke(ids[1]);
      assert.equal(await ctx.repos.apiKeys.count(), before + 2);
      const listed = (await ctx.repos.apiKeys.list()).filter((k) => ids.includes(k.id));
      assert.deepEqual(listed.map((k) => k.id).sort(), [...ids].sort());
      for (const k of listed) {
        assert.deepEqual(Object.keys(k).sort(), ["canApprove", "createdAt", "createdBy", "expiresAt", "functions", "id", "lastUsedAt", "name", "rateLimit", "revokedAt", "role"]);
        assert.equal(k.role, "reader");
      }
    });

    test("canApprove is false unless inserted true, and reads back", async () => {
      const [plain, approver] = [uniqueName("AK"), uniqueName("AK")];
      await ctx.repos.apiKeys.insert(key(plain, "deployer"));
      await ctx.repos.apiKeys.insert({ ...key(approver, "deployer"), canApprove: true });
      assert.equal((await ctx.repos.apiKeys.get(plain))?.canApprove, false);
      assert.equal((await ctx.repos.apiKeys.get(approver))?.canApprove, true);
    });

    test("revoke sets revokedAt once; touch sets lastUsedAt", async () => {
      const id = uniqueName("AK");
      await ctx.repos.apiKeys.insert(key(id));
      await ctx.repos.apiKeys.touch(id);
      const touched = await ctx.repos.apiKeys.get(id);
      assert.ok(touched?.lastUsedAt instanceof Date);
      assert.equal(await ctx.repos.apiKeys.revoke(id), true);
      const revoked = await ctx.repos.apiKeys.get(id);
      assert.ok(revoked?.revokedAt instanceof Date);
      assert.equal(await ctx.repos.apiKeys.revoke(id), false, "already revoked");
      assert.equal((await ctx.repos.apiKeys.get(id))?.revokedAt?.getTime(), revoked.revokedAt.getTime());
      assert.equal(await ctx.repos.apiKeys.revoke(uniqueName("AK")), false);
      await ctx.repos.apiKeys.touch(uniqueName("AK")); // unknown id: a no-op, not an error
    });
  });
}

function describeAuditLogs(ctx: ContractContext): void {
  describe("auditLogs", () => {
    test("append stores before/after JSON of any shape; list filters, orders newest first and limits", async () => {
      const resourceId = uniqueName("fn");
      const first = await ctx.repos.auditLogs.append({
        actor: "key:AK1",
        action: "function.create",
        resourceType: "function",
        resourceId,
        after: { name: resourceId, environment: { A: "1" }, list: [1, 2, { deep: true }] },
        requestId: "req-1",
      });
      assert.equal(first.before, null);
      assert.equal(first.requestId, "req-1");
      assert.ok(first.at instanceof Date);
      await ctx.repos.auditLogs.append({
        actor: "key:AK1",
        action: "function.update",
        resourceType: "function",
        resourceId,
        before: { memorySize: 128 },
        after: { memorySize: 256 },
      });
      await ctx.repos.auditLogs.append({
        actor: "system",
        action: "alias.update",
        resourceType: "alias",
        resourceId,
        before: ["x"],
      });

      const all = await ctx.repos.auditLogs.list({ resourceId, limit: 10 });
      assert.deepEqual(all.map((e) => e.action), ["alias.update", "function.update", "function.create"]);
      assert.deepEqual(all[2], first);
      assert.deepEqual(all[1].before, { memorySize: 128 });
      assert.deepEqual(all[0].before, ["x"]);
      assert.equal(all[1].requestId, null);

      const fnOnly = await ctx.repos.auditLogs.list({ resourceType: "function", resourceId, limit: 10 });
      assert.deepEqual(fnOnly.map((e) => e.action), ["function.update", "function.create"]);
      const limited = await ctx.repos.auditLogs.list({ resourceId, limit: 1 });
      assert.deepEqual(limited.map((e) => e.action), ["alias.update"]);
      assert.ok((await ctx.repos.auditLogs.list({ limit: 2 })).length <= 2);
    });
  });
}

function describeRunnerNodes(ctx: ContractContext): void {
  describe("runnerNodes", () => {
    test("upsert registers, then refreshes without resetting registeredAt", async () => {
      const id = uniqueName("runner");
      const registered = await ctx.repos.runnerNodes.upsert({
        id,
        pool: "default",
        address: "http://127.0.0.1:9001",
        backend: "process",
        status: "ready",
        labels: { zone: "a" },
        capacity: { memoryMb: 4096, slots: 8 },
        metadata: { version: "0.1.0" },
      });
      assert.deepEqual(registered.labels, { zone: "a" });
      assert.deepEqual(registered.capacity, { memoryMb: 4096, slots: 8 });
      const refreshed = await ctx.repos.runnerNodes.upsert({
        id,
        pool: "gpu",
        address: "http://127.0.0.1:9002",
        backend: "docker",
        status: "ready",
      });
      assert.equal(refreshed.registeredAt.getTime(), registered.registeredAt.getTime());
      assert.ok(refreshed.lastHeartbeatAt.getTime() >= registered.lastHeartbeatAt.getTime());
      assert.deepEqual(
        [refreshed.pool, refreshed.address, refreshed.backend, refreshed.labels, refreshed.capacity],
        ["gpu", "http://127.0.0.1:9002", "docker", {}, {}],
      );
      assert.deepEqual(await ctx.repos.runnerNodes.get(id), refreshed);
    });

    test("list includes every runner; markStatus changes only the status", async () => {
      const ids = [uniqueName("runner"), uniqueName("runner")];
      for (const id of ids) {
        await ctx.repos.runnerNodes.upsert({ id, pool: "p", address: `http://${id}`, backend: "process", status: "ready" });
      }
      const listed = (await ctx.repos.runnerNodes.list()).filter((r) => ids.includes(r.id));
      assert.deepEqual(listed.map((r) => r.id), [...ids].sort());
      const drained = await ctx.repos.runnerNodes.markStatus(ids[0], "draining");
      assert.equal(drained?.status, "draining");
      assert.equal(drained?.address, `http://${ids[0]}`);
      assert.equal((await ctx.repos.runnerNodes.get(ids[1]))?.status, "ready");
      assert.equal(await ctx.repos.runnerNodes.markStatus(uniqueName("runner"), "gone"), null);
      assert.equal(await ctx.repos.runnerNodes.get(uniqueName("runner")), null);
    });
  });
}

function describeDeployments(ctx: ContractContext): void {
  describe("deployments", () => {
    const base = (functionName: string) => ({
      functionName,
      alias: "live",
      fromVersion: 1,
      toVersion: 2,
      strategy: "Canary" as const,
      status: "Pending" as const,
      phase: "created",
    });

    test("create fills defaults and round-trips jsonb config, weights and the alias snapshot", async () => {
      const fn = uniqueName("fn");
      const created = await ctx.repos.deployments.create({
        ...base(fn),
        config: { canaryPercentage: 10, canaryDuration: "PT5M", analysis: { maxErrorRate: 0.01 } },
        aliasBefore: { version: 1, routingConfig: { additionalVersionWeights: {} } },
        createdBy: "key:AK1",
      });
      assert.match(created.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(
        [created.progress, created.currentWeights, created.analysis, created.reason, created.finishedAt],
        [0, {}, {}, null, null],
      );
      assert.deepEqual(created.config, { canaryPercentage: 10, canaryDuration: "PT5M", analysis: { maxErrorRate: 0.01 } });
      assert.deepEqual(created.aliasBefore, { version: 1, routingConfig: { additionalVersionWeights: {} } });
      assert.deepEqual(await ctx.repos.deployments.get(created.id), created);
      assert.equal(await ctx.repos.deployments.get("00000000-0000-4000-8000-000000000000"), null);
      assert.equal(await ctx.repos.deployments.get("not-a-uuid"), null);
    });

    test("update patches the state and writes its event in the same call", async () => {
      const created = await ctx.repos.deployments.create(base(uniqueName("fn")));
      const updated = await ctx.repos.deployments.update(
        created.id,
        { status: "InProgress", phase: "canary", progress: 10, currentWeights: { "1": 0.9, "2": 0.1 } },
        { type: "transition", fromStatus: "Pending", toStatus: "InProgress", weights: { "1": 0.9, "2": 0.1 } },
      );
      assert.ok(updated);
      assert.deepEqual(
        [updated.status, updated.phase, updated.progress, updated.currentWeights],
        ["InProgress", "canary", 10, { "1": 0.9, "2": 0.1 }],
      );
      assert.equal(updated.strategy, "Canary");
      assert.ok(updated.updatedAt.getTime() >= created.updatedAt.getTime());
      const finishedAt = new Date("2030-01-02T03:04:05.678Z");
      const done = await ctx.repos.deployments.update(created.id, {
        status: "RolledBack",
        reason: "error rate 0.2 > 0.01",
        finishedAt,
      });
      assert.equal(done?.finishedAt?.getTime(), finishedAt.getTime());
      assert.equal(done?.reason, "error rate 0.2 > 0.01");
      const events = await ctx.repos.deployments.listEvents(created.id);
      assert.equal(events.length, 1, "an update without an event writes none");
      assert.deepEqual(
        [events[0].type, events[0].fromStatus, events[0].toStatus, events[0].weights, events[0].reason, events[0].data],
        ["transition", "Pending", "InProgress", { "1": 0.9, "2": 0.1 }, null, null],
      );
      assert.equal(await ctx.repos.deployments.update("00000000-0000-4000-8000-000000000000", { progress: 1 }), null);
    });

    test("appendEvent and listEvents keep events in write order", async () => {
      const created = await ctx.repos.deployments.create(base(uniqueName("fn")));
      const e1 = await ctx.repos.deployments.appendEvent(created.id, {
        type: "analysis",
        data: { errorRate: 0, p99: 12.5 },
      });
      const e2 = await ctx.repos.deployments.appendEvent(created.id, { type: "paused", reason: "by hand" });
      assert.ok(e1 && e2);
      assert.equal(e1.deploymentId, created.id);
      assert.ok(e1.at instanceof Date);
      assert.deepEqual(await ctx.repos.deployments.listEvents(created.id), [e1, e2]);
      assert.deepEqual(e1.data, { errorRate: 0, p99: 12.5 });
      assert.equal(await ctx.repos.deployments.appendEvent("00000000-0000-4000-8000-000000000000", { type: "x" }), null);
      assert.deepEqual(await ctx.repos.deployments.listEvents("00000000-0000-4000-8000-000000000000"), []);
    });

    test("list filters by function, alias and one or several statuses, newest first", async () => {
      const fn = uniqueName("fn");
      const a = await ctx.repos.deployments.create(base(fn));
      const b = await ctx.repos.deployments.create({ ...base(fn), status: "InProgress" });
      const c = await ctx.repos.deployments.create({ ...base(fn), alias: "beta", status: "Succeeded" });
      await ctx.repos.deployments.create(base(uniqueName("fn")));
      // Distinct creation times: PGlite's clock ticks in milliseconds, so fresh rows could tie.
      for (const [i, d] of [a, b, c].entries()) {
        await ctx.database.db
          .update(deployments)
          .set({ createdAt: new Date(Date.UTC(2020, 0, 1, 0, 0, i)) })
          .where(eq(deployments.id, d.id));
      }
      const ids = async (q: Parameters<typeof ctx.repos.deployments.list>[0]) =>
        (await ctx.repos.deployments.list(q)).map((d) => d.id);
      assert.deepEqual(await ids({ functionName: fn }), [c.id, b.id, a.id]);
      assert.deepEqual(await ids({ functionName: fn, alias: "live" }), [b.id, a.id]);
      assert.deepEqual(await ids({ functionName: fn, status: "Succeeded" }), [c.id]);
      assert.deepEqual(await ids({ functionName: fn, status: ["Pending", "InProgress"] }), [b.id, a.id]);
      assert.deepEqual(await ids({ functionName: fn, limit: 1 }), [c.id]);
      assert.ok((await ids({ status: "InProgress" })).includes(b.id));
    });
  });
}

function describeTriggers(ctx: ContractContext): void {
  describe("triggers", () => {
    test("create defaults enabled to true and round-trips config", async () => {
      const fn = uniqueName("fn");
      const config = { schedule: "*/5 * * * *", payload: { a: [1] } };
      const t = await ctx.repos.triggers.create({ functionName: fn, type: "Scheduled", config });
      assert.equal(t.enabled, true);
      assert.deepEqual(t.config, { schedule: "*/5 * * * *", payload: { a: [1] } });
      assert.deepEqual(await ctx.repos.triggers.get(t.id), t);
      const off = await ctx.repos.triggers.create({ functionName: fn, type: "Queue", config: {}, enabled: false });
      assert.equal(off.enabled, false);
    });

    test("list filters by function and type; get and delete handle unknown ids", async () => {
      const fn = uniqueName("fn");
      const cron = await ctx.repos.triggers.create({ functionName: fn, type: "Scheduled", config: { schedule: "@hourly" } });
      const http = await ctx.repos.triggers.create({ functionName: fn, type: "Http", config: { path: "/hook" } });
      await ctx.repos.triggers.create({ functionName: uniqueName("fn"), type: "Scheduled", config: {} });
      const forFn = await ctx.repos.triggers.list({ functionName: fn });
      assert.deepEqual(forFn.map((t) => t.id).sort(), [cron.id, http.id].sort());
      assert.deepEqual((await ctx.repos.triggers.list({ functionName: fn, type: "Http" })).map((t) => t.id), [http.id]);
      assert.ok((await ctx.repos.triggers.list()).some((t) => t.id === cron.id));
      assert.equal(await ctx.repos.triggers.delete(cron.id), true);
      assert.equal(await ctx.repos.triggers.delete(cron.id), false);
      assert.equal(await ctx.repos.triggers.get(cron.id), null);
      assert.equal(await ctx.repos.triggers.get("not-a-uuid"), null);
      assert.equal(await ctx.repos.triggers.delete("not-a-uuid"), false);
    });
  });
}
