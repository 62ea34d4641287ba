/** GET /api/v1/runners: the runner fleet with health, capacity, load, warm instances and last heartbeat. */
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, errorResponses } from "../openapi.ts";
import type { RunnersSource } from "../../fleet/runner-views.ts";

const RunnerView = z
  .object({
    id: z.string(),
    pool: z.string(),
    labels: z.record(z.string(), z.string()),
    address: z.string(),
    backend: z.string(),
    status: z.string().openapi({ description: "ready, draining, unreachable, dead or stopped" }),
    healthy: z.boolean(),
    capacity: z.object({ memoryMb: z.number().nullable(), maxInstances: z.number().nullable() }),
    load: z.object({ inflight: z.number(), instances: z.number(), memoryMb: z.number() }),
    warm: z.array(
      z.object({
        function: z.string(),
        version: z.number(),
        instances: z.number(),
        warm: z.number().openapi({ description: "Instances that can take an invocation now" }),
        free: z.number().openapi({ description: "Invocation slots free now (instances × instanceConcurrency − in flight)" }),
        inflight: z.number(),
        held: z.number().openapi({ description: "Instances kept by provisioned concurrency or a scheduled minimum" }),
      }),
    ),
    stems: z.record(z.string(), z.number()).openapi({ description: "Idle prewarmed stem instances per runtime" }),
    lastHeartbeatAt: z.string().nullable(),
    heartbeatAgeMs: z.number().nullable(),
    registeredAt: z.string().nullable(),
  })
  .openapi("Runner");

const listRunners = createRoute({
  method: "get",
  path: "/api/v1/runners",
  tags: ["system"],
  summary: "List runners: live ones (a runner silent for 3 heartbeats is dead and leaves the list)",
  request: {
    query: z.object({
      include: z.enum(["gone"]).optional().openapi({ description: "`gone` also lists recorded runners that died or stopped" }),
    }),
  },
  responses: {
    200: { description: "Runners", content: { "application/json": { schema: z.object({ runners: z.array(RunnerView) }) } } },
    ...errorResponses(400, 401),
  },
});

export function runnersRoutes(source: RunnersSource) {
  const app = createRouter();
  app.openapi(listRunners, async (c) => {
    const { include } = c.req.valid("query");
    return c.json({ runners: await source.list({ includeGone: include === "gone" }) }, 200);
  });
  return app;
}
