/** /api/v1/deployments: progressive rollouts of a version to an alias, their commands, and approvals. */
import { createRouter } from "../openapi.ts";
import { actorOf } from "../actor.ts";
import { inScope, isScoped, requireFunctionScope } from "../scope.ts";
import type { DeploymentService } from "../../deployments/deployment-service.ts";
import { deploymentStream } from "../../deployments/deployment-stream.ts";
import { approve, commandRoutes, create, follow, get, list, reject } from "./routes.ts";

export function deploymentsRoutes(service: DeploymentService) {
  const app = createRouter();
  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    requireFunctionScope(c, "deployments:write", body.functionName);
    // Hooks are invoked by the platform: a scoped caller may only name functions in its scope.
    for (const ref of Object.values(body.hooks ?? {})) if (ref) requireFunctionScope(c, "functions:invoke", ref.functionName);
    return c.json(await service.create(c.req.valid("json"), actorOf(c)), 201);
  });
  app.openapi(list, async (c) => c.json({ deployments: inScope(c, await service.list(c.req.valid("query")), (d) => d.functionName) }, 200));
  app.openapi(get, async (c) => {
    const id = c.req.valid("param").id;
    if (isScoped(c)) requireFunctionScope(c, "deployments:read", await service.functionOf(id));
    return c.json(await service.get(id), 200);
  });
  app.openapi(follow, async (c) => {
    const id = c.req.valid("param").id;
    if (isScoped(c)) requireFunctionScope(c, "deployments:read", await service.functionOf(id));
    await service.get(id); // 404 before the stream starts
    return new Response(deploymentStream(() => service.get(id)), {
      status: 200,
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no", "x-request-id": c.get("requestId") },
    }) as never;
  });
  for (const { action, route } of commandRoutes) {
    app.openapi(route, async (c) => {
      // The body is optional: a POST without one is a command without a reason.
      const body = (c.req.valid("json") as { reason?: string } | undefined) ?? {};
      if (isScoped(c)) requireFunctionScope(c, "deployments:write", await service.functionOf(c.req.valid("param").id));
      const r = await service.command(c.req.valid("param").id, action, body.reason, actorOf(c));
      return c.json(r.deployment, r.applied ? 200 : 202);
    });
  }
  app.openapi(approve, async (c) => c.json(await service.approve(c.req.valid("param").id, actorOf(c)), 200));
  app.openapi(reject, async (c) => {
    const r = await service.reject(c.req.valid("param").id, c.req.valid("json").reason, actorOf(c));
    return c.json(r.deployment, r.applied ? 200 : 202);
  });
  return app;
}
