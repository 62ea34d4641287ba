/**
 * /api/v1/functions/{name}/versions: publish immutable versions from a zip (raw `application/zip`
 * body, or JSON `{code: <base64>}`), list and read them.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, errorResponses, FunctionNameParam as NameParam } from "../openapi.ts";
import { PublishVersionBody, PublishedVersion, VersionList, VersionNumberParam, VersionView } from "../../../../protocol/api/versions.ts";
import type { VersionService } from "../../functions/version-service.ts";
import { readZipUpload, zipUploadBody, zipUploadLimit } from "../zip-upload.ts";
import { actorOf } from "../actor.ts";

const VersionParam = NameParam.extend({
  version: VersionNumberParam.openapi({ param: { name: "version", in: "path" }, example: "1" }),
});

const publish = createRoute({
  method: "post",
  path: "/api/v1/functions/{name}/versions",
  tags: ["versions"],
  summary: "Publish a new immutable version from a zip",
  request: {
    params: NameParam,
    body: zipUploadBody(PublishVersionBody),
  },
  responses: {
    201: { description: "Published", content: { "application/json": { schema: PublishedVersion } } },
    ...errorResponses(400, 401, 404, 415),
  },
});
const list = createRoute({
  method: "get",
  path: "/api/v1/functions/{name}/versions",
  tags: ["versions"],
  summary: "List versions",
  request: { params: NameParam },
  responses: {
    200: { description: "Versions", content: { "application/json": { schema: VersionList } } },
    ...errorResponses(401, 404),
  },
});
const get = createRoute({
  method: "get",
  path: "/api/v1/functions/{name}/versions/{version}",
  tags: ["versions"],
  summary: "Get a version",
  request: { params: VersionParam },
  responses: { 200: { description: "The version", content: { "application/json": { schema: VersionView } } }, ...errorResponses(401, 404) },
});

export function versionsRoutes(service: VersionService) {
  const app = createRouter();
  app.use("/api/v1/functions/:name/versions", zipUploadLimit("function"));
  app.openapi(
    publish,
    async (c) => {
      const { name } = c.req.valid("param");
      const { zip, json } = await readZipUpload<PublishVersionBody>(c);
      const description = json ? json.description : (c.req.query("description") ?? "");
      return c.json(await service.publish(name, zip, description, actorOf(c), json?.environment), 201);
    },
  );
  app.openapi(list, async (c) => c.json({ versions: await service.list(c.req.valid("param").name) }, 200));
  app.openapi(get, async (c) => {
    const { name, version } = c.req.valid("param");
    return c.json(await service.get(name, version), 200);
  });
  return app;
}
