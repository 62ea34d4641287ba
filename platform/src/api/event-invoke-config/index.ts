/**
 * /api/v1/functions/{name}/event-invoke-config: Lambda's Put/Get/DeleteFunctionEventInvokeConfig in
 * the API's camelCase: maximumRetryAttempts (0-2, default 2), maximumEventAgeInSeconds (60-21600,
 * default 21600) and destinationConfig.onSuccess / onFailure. PUT replaces the whole config (left-out
 * fields take the defaults), as Lambda's Put does; DELETE goes back to the defaults.
 */
import { createRoute } from "@hono/zod-openapi";
import { EventInvokeConfigView, parseDestination, PutEventInvokeConfigBody, withDefaults } from "../../../../protocol/api/event-invoke-config.ts";
import { ApiError } from "../../../../protocol/errors.ts";
import type { Repositories } from "../../db/repositories/index.ts";
import type { StoredEventInvokeConfig } from "../../db/repositories/event-invoke-configs.ts";
import { functionNotFound } from "../../functions/function-service.ts";
import { createRouter, errorResponses, FunctionNameParam as NameParam } from "../openapi.ts";
import { actorOf } from "../actor.ts";
import { requireFunctionScope } from "../scope.ts";

const PATH = "/api/v1/functions/{name}/event-invoke-config";
const configJson = (description: string) => ({ description, content: { "application/json": { schema: EventInvokeConfigView } } });

const put = createRoute({
  method: "put",
  path: PATH,
  tags: ["async"],
  summary: "Set how asynchronous invocations of the function are retried and where their records go",
  request: { params: NameParam, body: { required: true, content: { "application/json": { schema: PutEventInvokeConfigBody } } } },
  responses: { 200: configJson("The config now in effect"), ...errorResponses(400, 401, 403, 404) },
});
const get = createRoute({
  method: "get",
  path: PATH,
  tags: ["async"],
  summary: "Get the function's asynchronous invocation config",
  request: { params: NameParam },
  responses: { 200: configJson("The config"), ...errorResponses(401, 403, 404) },
});
const del = createRoute({
  method: "delete",
  path: PATH,
  tags: ["async"],
  summary: "Delete the function's asynchronous invocation config (the defaults apply again)",
  request: { params: NameParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});

function view(functionName: string, c: StoredEventInvokeConfig): EventInvokeConfigView {
  return { functionName, maximumRetryAttempts: c.maximumRetryAttempts, maximumEventAgeInSeconds: c.maximumEventAgeInSeconds, destinationConfig: c.destinationConfig, lastModified: c.lastModified };
}

function notConfigured(name: string): ApiError {
  return new ApiError("EventInvokeConfigNotFound", `Function "${name}" has no event-invoke config (asynchronous invocations use the defaults: 2 retries, 6 hours, no destinations). Set one with PUT /api/v1/functions/${name}/event-invoke-config.`);
}

export function eventInvokeConfigRoutes(repos: Pick<Repositories, "eventInvokeConfigs" | "auditLogs">) {
  const app = createRouter();
  const audit = async (c: Parameters<typeof actorOf>[0], action: string, name: string, before: unknown, after: unknown) => {
    const actor = actorOf(c);
    await repos.auditLogs.append({ actor: actor.id, action, resourceType: "event-invoke-config", resourceId: name, before, after, requestId: actor.requestId ?? null });
  };
  app.openapi(put, async (c) => {
    const { name } = c.req.valid("param");
    // Destinations are invoked by the platform: a scoped caller may only name functions in its scope.
    for (const d of Object.values(c.req.valid("json").destinationConfig ?? {})) {
      const target = d ? parseDestination(d.destination) : undefined;
      if (target && typeof target !== "string" && target.kind === "function") requireFunctionScope(c, "functions:invoke", target.name);
    }
    const stored: StoredEventInvokeConfig = { ...withDefaults(c.req.valid("json")), lastModified: new Date().toISOString() };
    const previous = await repos.eventInvokeConfigs.get(name);
    if (!(await repos.eventInvokeConfigs.put(name, stored))) throw functionNotFound(name);
    await audit(c, "event-invoke-config.put", name, previous.found && previous.config ? view(name, previous.config) : null, view(name, stored));
    return c.json(view(name, stored), 200);
  });
  app.openapi(get, async (c) => {
    const { name } = c.req.valid("param");
    const found = await repos.eventInvokeConfigs.get(name);
    if (!found.found) throw functionNotFound(name);
    if (!found.config) throw notConfigured(name);
    return c.json(view(name, found.config), 200);
  });
  app.openapi(del, async (c) => {
    const { name } = c.req.valid("param");
    const found = await repos.eventInvokeConfigs.get(name);
    if (!found.found) throw functionNotFound(name);
    if (!found.config) throw notConfigured(name);
    await repos.eventInvokeConfigs.clear(name);
    await audit(c, "event-invoke-config.delete", name, view(name, found.config), null);
    return c.body(null, 204);
  });
  return app;
}
