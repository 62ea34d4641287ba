/** Handlers of /api/v1/triggers: each hands the validated request to the TriggerService. */
import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../context.ts";
import { actorOf } from "../actor.ts";
import { inScope, isScoped, requireFunctionScope } from "../scope.ts";
import type { TriggerService } from "../../triggers/trigger-service.ts";
import type { create, del, get, list, update } from "./routes.ts";

export function triggerHandlers(service: TriggerService) {
  // A scoped caller reaches a trigger only when its function is in scope.
  const triggerInScope = async (c: Parameters<typeof getTrigger>[0], id: string, permission: "triggers:read" | "triggers:write") => {
    if (isScoped(c)) requireFunctionScope(c, permission, (await service.get(id)).functionName);
  };
  const createTrigger: RouteHandler<typeof create, AppEnv> = async (c) => {
    requireFunctionScope(c, "triggers:write", c.req.valid("json").functionName);
    return c.json(await service.create(c.req.valid("json"), actorOf(c)), 201);
  };
  const listTriggers: RouteHandler<typeof list, AppEnv> = async (c) => c.json({ triggers: inScope(c, await service.list(c.req.valid("query")), (t) => t.functionName) }, 200);
  const getTrigger: RouteHandler<typeof get, AppEnv> = async (c) => {
    const trigger = await service.get(c.req.valid("param").id);
    requireFunctionScope(c, "triggers:read", trigger.functionName);
    return c.json(trigger, 200);
  };
  const updateTrigger: RouteHandler<typeof update, AppEnv> = async (c) => {
    await triggerInScope(c, c.req.valid("param").id, "triggers:write");
    return c.json(await service.update(c.req.valid("param").id, c.req.valid("json"), actorOf(c)), 200);
  };
  const deleteTrigger: RouteHandler<typeof del, AppEnv> = async (c) => {
    await triggerInScope(c, c.req.valid("param").id, "triggers:write");
    await service.delete(c.req.valid("param").id, actorOf(c));
    return c.body(null, 204);
  };
  return { createTrigger, listTriggers, getTrigger, updateTrigger, deleteTrigger };
}
