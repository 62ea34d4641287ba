/**
 * GET /api/v1/whoami on a real embedded platform: each role's principal reads its own subject,
 * roles, function scope and exactly the permissions the role table grants it; no credentials is 401.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createApiClient } from "../../client/index.ts";
import { PERMISSIONS } from "../../platform/src/auth/permissions.ts";
import { apiOf, expectOk } from "../support/deploy.ts";
import { startPlatform, type TestPlatform } from "../support/platform.ts";

describe("GET /api/v1/whoami", () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded");
  });
  after(async () => {
    await p?.close();
  });
  const keyFor = async (role: "viewer" | "invoker" | "deployer", functions?: string[]) => {
    const created = expectOk(await apiOf(p).keys.create({ name: `who-${role}`, role, ...(functions ? { functions } : {}) }), "create key", 201);
    return { id: created.id, api: createApiClient({ baseUrl: p.url, apiKey: created.key }) };
  };

  it("answers the admin every permission, no scope", async () => {
    const me = expectOk(await apiOf(p).system.whoami(), "whoami", 200);
    assert.deepEqual(me.roles, ["admin"]);
    assert.equal(me.functions, null);
    assert.equal(me.canApprove, true);
    assert.equal(me.method, "bearer");
    assert.match(me.subject, /^key:/);
    assert.deepEqual(me.permissions, [...PERMISSIONS]);
  });

  it("answers a scoped viewer its reads only, its scope and its key id", async () => {
    const { id, api } = await keyFor("viewer", ["orders-*"]);
    const me = expectOk(await api.system.whoami(), "whoami", 200);
    assert.deepEqual(me.roles, ["viewer"]);
    assert.deepEqual(me.functions, ["orders-*"]);
    assert.equal(me.keyId, id);
    assert.equal(me.subject, `key:${id}`);
    assert.equal(me.canApprove, false);
    assert.ok(me.permissions.includes("functions:read"));
    for (const perm of me.permissions) assert.ok(perm.endsWith(":read"), perm);
    for (const adminOnly of ["keys:read", "audit:read"]) assert.ok(!me.permissions.includes(adminOnly), adminOnly);
  });

  it("answers an invoker invoke and whoami alone", async () => {
    const { api } = await keyFor("invoker");
    const me = expectOk(await api.system.whoami(), "whoami", 200);
    assert.deepEqual(me.permissions, ["functions:invoke", "session:read"]);
  });

  it("answers a deployer the writes but not keys, audit or approving", async () => {
    const { api } = await keyFor("deployer");
    const me = expectOk(await api.system.whoami(), "whoami", 200);
    for (const perm of ["functions:write", "versions:write", "deployments:write"]) assert.ok(me.permissions.includes(perm), perm);
    for (const perm of ["keys:write", "audit:read", "deployments:approve"]) assert.ok(!me.permissions.includes(perm), perm);
  });

  it("refuses a caller without credentials with 401", async () => {
    const r = await createApiClient({ baseUrl: p.url }).system.whoami();
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.status, 401);
  });
});
