/** /api/v1/functions/{name}/aliases: weighted aliases over immutable versions. */
import { createRoute } from "@hono/zod-openapi";
import { createRouter, errorResponses, FunctionNameParam as NameParam } from "../openapi.ts";
import { AliasList, AliasName, AliasView, PutAliasBody } from "../../../../protocol/api/aliases.ts";
import type { AliasService } from "../../functions/alias-service.ts";
import { actorOf } from "../actor.ts";

const AliasParam = NameParam.extend({ alias: AliasName.openapi({ param: { name: "alias", in: "path" } }) });
const aliasJson = (description: string) => ({ description, content: { "application/json": { schema: AliasView } } });

const put = createRoute({
  method: "put",
  path: "/api/v1/functions/{name}/aliases/{alias}",
  tags: ["aliases"],
  summary:
    "Create or update an alias (primary version plus optional weighted extra versions). A protected alias's traffic changes only through an approved deployment (409 AliasProtected); changing `protected` needs deployments:approve (403)",
  request: { params: AliasParam, body: { required: true, content: { "application/json": { schema: PutAliasBody } } } },
  responses: { 200: aliasJson("Updated"), 201: aliasJson("Created"), ...errorResponses(400, 401, 403, 404, 409) },
});
const get = createRoute({
  method: "get",
  path: "/api/v1/functions/{name}/aliases/{alias}",
  tags: ["aliases"],
  summary: "Get an alias",
  request: { params: AliasParam },
  responses: { 200: aliasJson("The alias"), ...errorResponses(401, 404) },
});
const list = createRoute({
  method: "get",
  path: "/api/v1/functions/{name}/aliases",
  tags: ["aliases"],
  summary: "List aliases",
  request: { params: NameParam },
  responses: {
    200: { description: "Aliases", content: { "application/json": { schema: AliasList } } },
    ...errorResponses(401, 404),
  },
});
const del = createRoute({
  method: "delete",
  path: "/api/v1/functions/{name}/aliases/{alias}",
  tags: ["aliases"],
  summary: "Delete an alias",
  request: { params: AliasParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 404, 409) },
});

export function aliasesRoutes(service: AliasService) {
  const app = createRouter();
  app.openapi(put, async (c) => {
    const { name, alias } = c.req.valid("param");
    const result = await service.put(name, alias, c.req.valid("json"), actorOf(c));
    return c.json(result.alias, result.created ? 201 : 200);
  });
  app.openapi(get, async (c) => {
    const { name, alias } = c.req.valid("param");
    return c.json(await service.get(name, alias), 200);
  });
  app.openapi(list, async (c) => c.json({ aliases: await service.list(c.req.valid("param").name) }, 200));
  app.openapi(del, async (c) => {
    const { name, alias } = c.req.valid("param");
    await service.delete(name, alias, actorOf(c));
    return c.body(null, 204);
  });
  return app;
}
