/** The usage API: GET /api/v1/functions/{name}/usage and GET /api/v1/usage (usage:read). */
import { createRouter } from "../openapi.ts";
import type { UsageService } from "../../usage/usage-service.ts";
import { functionUsage, usageSummary } from "./routes.ts";
import { inScope } from "../scope.ts";

export function usageRoutes(service: UsageService) {
  const app = createRouter();
  app.openapi(functionUsage, async (c) => {
    const { version, ...range } = c.req.valid("query");
    return c.json(await service.functionUsage(c.req.valid("param").name, { ...range, version }), 200);
  });
  app.openapi(usageSummary, async (c) => {
    const summary = await service.summary(c.req.valid("query"));
    return c.json({ ...summary, functions: inScope(c, summary.functions, (f) => f.functionName) }, 200);
  });
  return app;
}
