/** /api/v1/functions: create, list, read, update, delete. */
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, errorResponses, FunctionNameParam as NameParam } from "../openapi.ts";
import { CreateFunctionBody, FunctionList, FunctionView, UpdateFunctionBody } from "../../../../protocol/api/functions.ts";
import type { FunctionService } from "../../functions/function-service.ts";
import { actorOf } from "../actor.ts";
import { inScope, requireFunctionScope } from "../scope.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const createFn = createRoute({
  method: "post",
  path: "/api/v1/functions",
  tags: ["functions"],
  summary: "Create a function",
  request: { body: { required: true, content: { "application/json": { schema: CreateFunctionBody } } } },
  responses: { 201: json(FunctionView, "Created"), ...errorResponses(400, 401, 409) },
});
const listFns = createRoute({
  method: "get",
  path: "/api/v1/functions",
  tags: ["functions"],
  summary: "List functions",
  responses: { 200: json(FunctionList, "Functions"), ...errorResponses(401) },
});
const getFn = createRoute({
  method: "get",
  path: "/api/v1/functions/{name}",
  tags: ["functions"],
  summary: "Get a function",
  request: { params: NameParam },
  responses: { 200: json(FunctionView, "The function"), ...errorResponses(401, 404) },
});
const updateFn = createRoute({
  method: "put",
  path: "/api/v1/functions/{name}",
  tags: ["functions"],
  summary: "Update a function's configuration (takes effect in the next published version)",
  request: { params: NameParam, body: { required: true, content: { "application/json": { schema: UpdateFunctionBody } } } },
  responses: { 200: json(FunctionView, "Updated"), ...errorResponses(400, 401, 404) },
});
const deleteFn = createRoute({
  method: "delete",
  path: "/api/v1/functions/{name}",
  tags: ["functions"],
  summary: "Delete a function with its versions and aliases",
  request: { params: NameParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 404) },
});

export function functionsRoutes(service: FunctionService) {
  const app = createRouter();
  app.openapi(createFn, async (c) => {
    requireFunctionScope(c, "functions:write", c.req.valid("json").name);
    return c.json(await service.create(c.req.valid("json"), actorOf(c)), 201);
  });
  app.openapi(listFns, async (c) => c.json({ functions: inScope(c, await service.list(), (f) => f.name) }, 200));
  app.openapi(getFn, async (c) => c.json(await service.get(c.req.valid("param").name), 200));
  app.openapi(updateFn, async (c) => c.json(await service.update(c.req.valid("param").name, c.req.valid("json"), actorOf(c)), 200));
  app.openapi(deleteFn, async (c) => {
    await service.delete(c.req.valid("param").name, actorOf(c));
    return c.body(null, 204);
  });
  return app;
}
