/** Route definitions (zod-openapi) of the usage API. Handlers are in index.ts. */
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, FunctionNameParam as NameParam } from "../openapi.ts";
import { FunctionUsage, FunctionUsageQuery, UsageQuery, UsageSummary } from "../../../../protocol/api/usage.ts";

const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

export const functionUsage = createRoute({
  method: "get",
  path: "/api/v1/functions/{name}/usage",
  tags: ["usage"],
  summary: "A function's usage and estimated cost per hour or UTC day: invocations, errors, cold starts, billed ms, GB-seconds",
  request: { params: NameParam, query: FunctionUsageQuery },
  responses: { 200: json(FunctionUsage, "Usage of the function (or one version)"), ...errorResponses(400, 401, 403, 404) },
});

export const usageSummary = createRoute({
  method: "get",
  path: "/api/v1/usage",
  tags: ["usage"],
  summary: "Usage and estimated cost of every function (deleted ones included), with per-function totals and a grand total",
  request: { query: UsageQuery },
  responses: { 200: json(UsageSummary, "Usage of all functions"), ...errorResponses(400, 401, 403) },
});
