/** GET /api/v1/runners: the runner fleet with health, capacity, load, warm instances and last heartbeat. */
import { createRoute } from "@hono/zod-openapi";
import { createRouter, errorResponses } from "../openapi.ts";
import type { RunnersSource } from "../../fleet/runner-views.ts";
import { RunnerList, RunnerListQuery } from "../../../../protocol/api/runners.ts";

const listRunners = createRoute({
  method: "get",
  path: "/api/v1/runners",
  tags: ["system"],
  summary: "List runners: live ones (a runner silent for 3 heartbeats is dead and leaves the list)",
  request: {
    query: RunnerListQuery,
  },
  responses: {
    200: { description: "Runners", content: { "application/json": { schema: RunnerList } } },
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
