/**
 * POST /api/v1/admin/secrets/rotate: re-seal every stored secret under the server's current key
 * (the second step of a key rotation; the first is giving the servers the new key with the old one
 * as a previous key). Admin only (`secrets:write`); audited as `secrets.rotate`.
 */
import { createRoute } from "@hono/zod-openapi";
import { SecretRotation } from "../../../../protocol/api/secrets.ts";
import type { Repositories } from "../../db/repositories/index.ts";
import type { SecretBox } from "../../auth/secret-box.ts";
import { resealAll } from "../../auth/secret-rotation.ts";
import { actorOf } from "../actor.ts";
import { createRouter, errorResponses } from "../openapi.ts";

const rotate = createRoute({
  method: "post",
  path: "/api/v1/admin/secrets/rotate",
  tags: ["admin"],
  summary: "Re-seal every stored secret under the server's current key",
  responses: { 200: { description: "What was re-sealed", content: { "application/json": { schema: SecretRotation } } }, ...errorResponses(401, 403, 500) },
});

export interface SecretsAdminDeps {
  repos: Pick<Repositories, "sealedSecrets" | "auditLogs">;
  box: SecretBox;
}

export function secretsAdminRoutes(deps: SecretsAdminDeps) {
  const app = createRouter();
  app.openapi(rotate, async (c) => {
    const report = await resealAll(deps.repos.sealedSecrets, deps.box);
    const actor = actorOf(c);
    await deps.repos.auditLogs.append({ actor: actor.id, action: "secrets.rotate", resourceType: "secret-key", resourceId: report.keyId, before: null, after: report, requestId: actor.requestId ?? null });
    return c.json(report, 200);
  });
  return app;
}
