/** Handlers of /api/v1/triggers: each hands the validated request to the TriggerService. */
import type { RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../context.ts";
import { actorOf } from "../actor.ts";
import type { TriggerService } from "../../triggers/trigger-service.ts";
import type { create, del, get, list, update } from "./routes.ts";

export function triggerHandlers(service: TriggerService) {
  const createTrigger: RouteHandler<typeof create, AppEnv> = async (c) => c.json(await service.create(c.req.valid("json"), actorOf(c)), 201);
  const listTriggers: RouteHandler<typeof list, AppEnv> = async (c) => c.json({ triggers: await service.list(c.req.valid("query")) }, 200);
  const getTrigger: RouteHandler<typeof get, AppEnv> = async (c) => c.json(await service.get(c.req.valid("param").id), 200);
  const updateTrigger: RouteHandler<typeof update, AppEnv> = async (c) => c.json(await service.update(c.req.valid("param").id, c.req.valid("json"), actorOf(c)), 200);
  const deleteTrigger: RouteHandler<typeof del, AppEnv> = async (c) => {
    await service.delete(c.req.valid("param").id, actorOf(c));
    return c.body(null, 204);
  };
  return { createTrigger, listTriggers, getTrigger, updateTrigger, deleteTrigger };
}
