/** Route definitions (zod-openapi) of /api/v1/triggers. Handlers are in handlers.ts. */
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses } from "../openapi.ts";
import { CreateTriggerBody, TriggerId, TriggerList, TriggerListQuery, TriggerView, UpdateTriggerBody } from "../../../../protocol/api/triggers.ts";

const IdParam = z.object({ id: TriggerId.openapi({ param: { name: "id", in: "path" } }) });
const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

export const create = createRoute({
  method: "post",
  path: "/api/v1/triggers",
  tags: ["triggers"],
  summary: "Create a trigger (Http route or Scheduled; Queue and Stream answer 501 until their consumers ship)",
  request: { body: { required: true, content: { "application/json": { schema: CreateTriggerBody } } } },
  responses: { 201: json(TriggerView, "Created"), ...errorResponses(400, 401, 403, 404, 409, 501) },
});

export const list = createRoute({
  method: "get",
  path: "/api/v1/triggers",
  tags: ["triggers"],
  summary: "List triggers, oldest first, optionally of one function and/or type",
  request: { query: TriggerListQuery },
  responses: { 200: json(TriggerList, "Triggers"), ...errorResponses(400, 401, 403) },
});

export const get = createRoute({
  method: "get",
  path: "/api/v1/triggers/{id}",
  tags: ["triggers"],
  summary: "A trigger with its execution statistics",
  request: { params: IdParam },
  responses: { 200: json(TriggerView, "The trigger"), ...errorResponses(401, 403, 404) },
});

export const update = createRoute({
  method: "put",
  path: "/api/v1/triggers/{id}",
  tags: ["triggers"],
  summary: "Update a trigger's qualifier, config or enabled flag (its function and type never change)",
  request: { params: IdParam, body: { required: true, content: { "application/json": { schema: UpdateTriggerBody } } } },
  responses: { 200: json(TriggerView, "Updated"), ...errorResponses(400, 401, 403, 404, 409) },
});

export const del = createRoute({
  method: "delete",
  path: "/api/v1/triggers/{id}",
  tags: ["triggers"],
  summary: "Delete a trigger",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});
