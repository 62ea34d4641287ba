/** /api/v1/triggers: Http, Scheduled, Queue and Stream triggers bound to a function. */
import { createRouter } from "../openapi.ts";
import { TRIGGER_CONFIG_SCHEMAS } from "../../../../protocol/api/triggers.ts";
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
  // The body's `config` is checked per type by the service; document each type's shape.
  for (const [type, schema] of Object.entries(TRIGGER_CONFIG_SCHEMAS)) app.openAPIRegistry.register(`${type}TriggerConfig`, schema);
  return app;
}
