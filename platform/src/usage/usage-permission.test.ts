/** The usage routes declare usage:read, which admin and viewer keys have and a role-less key has not. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { allows, routePermission } from "../auth/permissions.ts";
import type { Principal } from "../auth/principal.ts";

const key = (roles: Principal["roles"]): Principal => ({ subject: "key:k", keyId: "k", method: "bearer", roles });

test("GET /api/v1/functions/{name}/usage and GET /api/v1/usage need usage:read, granted to admin and viewer", () => {
  assert.equal(routePermission("GET", "/api/v1/functions/{name}/usage"), "usage:read");
  assert.equal(routePermission("get", "/api/v1/usage"), "usage:read");
  assert.equal(allows(key(["admin"]), "usage:read"), true);
  assert.equal(allows(key(["viewer"]), "usage:read"), true);
  assert.equal(allows(key([]), "usage:read"), false);
});
