/**
 * GET /api/v1/whoami: the calling principal and the permissions it holds (permission
 * `session:read`, which every role has), for clients that offer only what the caller may do.
 */
import { createRoute } from "@hono/zod-openapi";
import { createRouter, errorResponses } from "../openapi.ts";
import { WhoAmI } from "../../../../protocol/api/whoami.ts";
import { allows, PERMISSIONS } from "../../auth/permissions.ts";
import { ApiError } from "../../../../protocol/errors.ts";

const whoami = createRoute({
  method: "get",
  path: "/api/v1/whoami",
  tags: ["system"],
  summary: "The caller: subject, roles, function scope and the permissions it holds",
  responses: {
    200: { description: "The caller", content: { "application/json": { schema: WhoAmI } } },
    ...errorResponses(401),
  },
});

export function whoamiRoutes() {
  const app = createRouter();
  app.openapi(whoami, (c) => {
    const p = c.get("principal");
    if (!p) throw new ApiError("Unauthorized", "Missing credentials: send Authorization: Bearer <API key or JWT>.");
    return c.json(
      {
        subject: p.subject,
        keyId: p.keyId ?? null,
        method: p.method,
        roles: [...p.roles],
        functions: p.functions ? [...p.functions] : null,
        canApprove: allows(p, "deployments:approve"),
        permissions: PERMISSIONS.filter((perm) => allows(p, perm)),
      },
      200,
    );
  });
  return app;
}
