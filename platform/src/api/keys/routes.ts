/** Route definitions (zod-openapi) of /api/v1/keys. Handlers are in index.ts. */
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses } from "../openapi.ts";
import { CreateKeyBody, KeyId, KeyList, KeyView, KeyWithSecret } from "../../../../protocol/api/keys.ts";

const IdParam = z.object({ id: KeyId.openapi({ param: { name: "id", in: "path" } }) });
const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

export const create = createRoute({
  method: "post",
  path: "/api/v1/keys",
  tags: ["keys"],
  summary: "Create an API key (its secret is in this answer only)",
  request: { body: { required: true, content: { "application/json": { schema: CreateKeyBody } } } },
  responses: { 201: json(KeyWithSecret, "Created; store `key` now, it is never shown again"), ...errorResponses(400, 401, 403) },
});

export const list = createRoute({
  method: "get",
  path: "/api/v1/keys",
  tags: ["keys"],
  summary: "List API keys, revoked ones included (never their secrets)",
  responses: { 200: json(KeyList, "Keys"), ...errorResponses(401, 403) },
});

export const get = createRoute({
  method: "get",
  path: "/api/v1/keys/{id}",
  tags: ["keys"],
  summary: "An API key (never its secret)",
  request: { params: IdParam },
  responses: { 200: json(KeyView, "The key"), ...errorResponses(401, 403, 404) },
});

export const revoke = createRoute({
  method: "delete",
  path: "/api/v1/keys/{id}",
  tags: ["keys"],
  summary: "Revoke an API key: every replica refuses it from now on",
  request: { params: IdParam },
  responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404) },
});

export const rotate = createRoute({
  method: "post",
  path: "/api/v1/keys/{id}/rotate",
  tags: ["keys"],
  summary: "Give an API key a new secret (same id, role and scope); the old secret is refused from now on",
  request: { params: IdParam },
  responses: { 200: json(KeyWithSecret, "Rotated; store `key` now, it is never shown again"), ...errorResponses(401, 403, 404, 409) },
});
