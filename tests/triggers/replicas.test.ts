/**
 * Http triggers across two control-plane replicas sharing Postgres, Redis and S3 (each with its
 * embedded runner): a route created, changed or deleted through one replica is served (or no
 * longer served) by the other, from its in-memory table refreshed over pub/sub. Also, with direct
 * access to the shared database: a viewer key is refused (403) on an `auth: "key"` route and on
 * trigger writes, and every trigger write lands in the audit log.
 *   Needs Postgres and Redis (see tests/support/services.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { createApiClient } from "../../client/index.ts";
import { generateApiKey, hashSecret } from "../../platform/src/auth/api-key.ts";
import { createRepositories, openDatabase, type Database, type Repositories } from "../../platform/src/db/index.ts";
import { eventually } from "../fleet/support/cluster.ts";
import { apiOf, expectOk } from "../support/deploy.ts";
import { it, serversSkipReason, SkipError } from "../support/platform.ts";
import { createTrigger, deployEcho, send, startReplicas, type Replica } from "./support.ts";

describe("Http triggers across two control-plane replicas", { timeout: 240_000 }, () => {
  const replicas: Replica[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  let database: Database | undefined;
  let repos: Repositories;
  let skip: string | undefined;
  const { key } = generateApiKey();

  before(async () => {
    skip = await serversSkipReason();
    if (skip) return;
    const started = await startReplicas(2, key, "trig", cleanups);
    replicas.push(...started.replicas);
    database = await openDatabase({ kind: "postgres", url: started.databaseUrl });
    repos = createRepositories(database.db);
  });
  after(async () => {
    for (const r of replicas.reverse()) await r.server.close().catch(() => {});
    await database?.close();
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });
  const both = (): [Replica, Replica] => {
    if (skip) throw new SkipError(skip);
    return [replicas[0]!, replicas[1]!];
  };

  it("serves a route created on one replica from the other, follows its changes and its deletion", async () => {
    const [a, b] = both();
    await deployEcho(a, "shared");
    const t = await createTrigger(a, { functionName: "shared", type: "Http", config: { methods: ["GET"], path: "/shared/{id}", auth: "none" } });
    // The version reaches b's routing table over pub/sub too: wait for the first answer, then it is immediate.
    const first = await eventually("the route on replica b", async () => {
      const r = await send(`${b.url}/fn/shared/7`);
      return r.status === 200 ? r : undefined;
    }, 10_000);
    assert.equal(first.json.routeKey, "GET /shared/{id}");
    assert.deepEqual(first.json.pathParameters, { id: "7" });

    expectOk(await apiOf(b).triggers.update(t.triggerId, { config: { methods: ["GET"], path: "/moved/{id}", auth: "none" } }), "move the route through b");
    await eventually("the moved route on replica a", async () => (await send(`${a.url}/fn/moved/1`)).status === 200, 5000);
    assert.equal((await send(`${a.url}/fn/shared/1`)).status, 404);

    expectOk(await apiOf(a).triggers.delete(t.triggerId), "delete through a", 204);
    await eventually("the route gone on replica b", async () => (await send(`${b.url}/fn/moved/1`)).status === 404, 5000);

    // Statistics of executions on both replicas add up in the shared row.
    const counted = await createTrigger(b, { functionName: "shared", type: "Http", config: { methods: ["GET"], path: "/counted", auth: "none" } });
    await eventually("the counted route on replica a", async () => (await send(`${a.url}/fn/counted`)).status === 200, 5000);
    for (const r of [a, b, a, b]) assert.equal((await send(`${r.url}/fn/counted`)).status, 200);
    await eventually("5 executions counted", async () => (expectOk(await apiOf(a).triggers.get(counted.triggerId), "get")).executionCount === 5, 10_000);
  });

  it("refuses a viewer key: 403 on an auth key route (functions:invoke) and on trigger writes, reads allowed", async () => {
    const [a] = both();
    await deployEcho(a, "guarded");
    const t = await createTrigger(a, { functionName: "guarded", type: "Http", config: { methods: ["POST"], path: "/guarded", auth: "key" } });
    const viewer = generateApiKey();
    await repos.apiKeys.insert({ id: viewer.id, name: "viewer", secretHash: hashSecret(viewer.secret), secretEnc: "unused-for-bearer", role: "viewer" });
    const denied = await send(`${a.url}/fn/guarded`, { method: "POST", headers: { authorization: `Bearer ${viewer.key}` }, body: "{}" });
    assert.equal(denied.status, 403, denied.text);
    assert.equal(denied.json.error.code, "Forbidden");
    assert.match(denied.json.error.message, /needs permission "functions:invoke"/);
    const allowed = await send(`${a.url}/fn/guarded`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: "{}" });
    assert.equal(allowed.status, 200, allowed.text);

    const asViewer = createApiClient({ baseUrl: a.url, apiKey: viewer.key });
    expectOk(await asViewer.triggers.get(t.triggerId), "a viewer reads triggers");
    const write = await asViewer.triggers.delete(t.triggerId);
    assert.equal(write.ok, false);
    assert.equal(!write.ok && write.error.status, 403);
    assert.match(!write.ok ? write.error.message : "", /needs permission "triggers:write"/);
  });

  it("audits every trigger write with its before and after", async () => {
    const [a] = both();
    await deployEcho(a, "audited");
    const t = await createTrigger(a, { functionName: "audited", type: "Scheduled", config: { schedule: "rate(1 hour)" } });
    expectOk(await apiOf(a).triggers.update(t.triggerId, { enabled: false }), "update");
    expectOk(await apiOf(a).triggers.delete(t.triggerId), "delete", 204);
    const entries = (await repos.auditLogs.list({ resourceType: "trigger", resourceId: t.triggerId })).reverse();
    assert.deepEqual(entries.map((e) => e.action), ["trigger.create", "trigger.update", "trigger.delete"]);
    assert.equal(entries[0]!.before, null);
    assert.equal((entries[1]!.before as { enabled: boolean }).enabled, true);
    assert.equal((entries[1]!.after as { enabled: boolean }).enabled, false);
    assert.equal(entries[2]!.after, null);
    assert.ok(entries.every((e) => e.actor.startsWith("key:")));
  });
});
