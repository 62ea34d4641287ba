/**
 * /api/v1/layers: publish immutable layer versions from a zip (raw `application/zip` body with
 * `?compatibleRuntimes=a,b&description=…`, or JSON `{code: <base64>, compatibleRuntimes, description}`),
 * list layers and their versions, read and delete a version.
 */
import { createRoute } from "@hono/zod-openapi";
import { createRouter, errorResponses } from "../openapi.ts";
import { LayerList, LayerNameParam, LayerVersionList, LayerVersionParam, LayerVersionView, PublishLayerVersionBody } from "../../../../protocol/api/layers.ts";
import type { LayerService } from "../../layers/layer-service.ts";
import { readZipUpload, zipUploadBody, zipUploadLimit } from "../zip-upload.ts";
import { actorOf } from "../actor.ts";

const json = <T>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

const publish = createRoute({
  method: "post",
  path: "/api/v1/layers/{name}/versions",
  tags: ["layers"],
  summary: "Publish a new immutable layer version from a zip",
  request: { params: LayerNameParam, body: zipUploadBody(PublishLayerVersionBody) },
  responses: { 201: json(LayerVersionView, "Published"), ...errorResponses(400, 401, 403, 415) },
});
const list = createRoute({
  method: "get",
  path: "/api/v1/layers",
  tags: ["layers"],
  summary: "List layers, each with its latest version",
  responses: { 200: json(LayerList, "Layers"), ...errorResponses(401, 403) },
});
const listVersions = createRoute({
  method: "get",
  path: "/api/v1/layers/{name}/versions",
  tags: ["layers"],
  summary: "List a layer's versions, newest first",
  request: { params: LayerNameParam },
  responses: { 200: json(LayerVersionList, "Layer versions"), ...errorResponses(401, 403, 404) },
});
const get = createRoute({
  method: "get",
  path: "/api/v1/layers/{name}/versions/{version}",
  tags: ["layers"],
  summary: "Get a layer version",
  request: { params: LayerVersionParam },
  responses: { 200: json(LayerVersionView, "The layer version"), ...errorResponses(401, 403, 404) },
});
const remove = createRoute({
  method: "delete",
  path: "/api/v1/layers/{name}/versions/{version}",
  tags: ["layers"],
  summary: "Delete a layer version (function versions published with it keep running it, as in Lambda)",
  request: { params: LayerVersionParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});

export function layersRoutes(service: LayerService) {
  const app = createRouter();
  app.use("/api/v1/layers/:name/versions", zipUploadLimit("layer"));
  app.openapi(publish, async (c) => {
    const { name } = c.req.valid("param");
    const { zip, json: body } = await readZipUpload<PublishLayerVersionBody>(c);
    const input = body
      ? { zip, compatibleRuntimes: body.compatibleRuntimes, description: body.description }
      : {
          zip,
          compatibleRuntimes: (c.req.query("compatibleRuntimes") ?? "")
            .split(",")
            .map((r) => r.trim())
            .filter((r) => r !== ""),
          description: c.req.query("description") ?? "",
        };
    return c.json(await service.publish(name, input, actorOf(c)), 201);
  });
  app.openapi(list, async (c) => c.json({ layers: await service.list() }, 200));
  app.openapi(listVersions, async (c) => c.json({ layerVersions: await service.versions(c.req.valid("param").name) }, 200));
  app.openapi(get, async (c) => {
    const { name, version } = c.req.valid("param");
    return c.json(await service.get(name, version), 200);
  });
  app.openapi(remove, async (c) => {
    const { name, version } = c.req.valid("param");
    await service.delete(name, version, actorOf(c));
    return c.body(null, 204);
  });
  return app;
}
