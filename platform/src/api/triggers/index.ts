/** /api/v1/triggers: Http, Scheduled, Queue and Stream triggers bound to a function. */
import { createRouter } from "../openapi.ts";
import type { TriggerService } from "../../triggers/trigger-service.ts";
import { triggerHandlers } from "./handlers.ts";
import { create, del, get, list, update } from "./routes.ts";

export function triggersRoutes(service: TriggerService) {
  const app = createRouter();
  const h = triggerHandlers(service);
  app.openapi(create, h.createTrigger);
  app.openapi(list, h.listTriggers);
  app.openapi(get, h.getTrigger);
  app.openapi(update, h.updateTrigger);
  app.openapi(del, h.deleteTrigger);
  return app;
}
