/**
 * /api/v1/functions/{name}/versions: publish immutable versions from a zip (raw `application/zip`
 * body, or JSON `{code: <base64>}`), list and read them.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { createRouter, errorResponses, FunctionNameParam as NameParam } from "../openapi.ts";
import { PublishVersionBody, PublishedVersion, VersionList, VersionNumberParam, VersionView } from "../../../../protocol/api/versions.ts";
import type { VersionService } from "../../functions/version-service.ts";
import { ApiError } from "../../../../protocol/errors.ts";
import { MAX_ZIPPED_CODE_BYTES } from "../../../../protocol/limits.ts";
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
    body: {
      // Not "required": a required body makes the JSON validator run for zip uploads too.
      required: false,
      content: {
        "application/zip": { schema: z.string().openapi({ format: "binary" }) },
        "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) },
        "application/json": { schema: PublishVersionBody },
      },
    },
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

// Base64 makes a 50 MB zip about 67 MB of JSON.
const MAX_PUBLISH_BODY = Math.ceil(MAX_ZIPPED_CODE_BYTES * 1.37) + 4096;

export function versionsRoutes(service: VersionService) {
  const app = createRouter();
  app.use(
    "/api/v1/functions/:name/versions",
    bodyLimit({
      maxSize: MAX_PUBLISH_BODY,
      onError: () => {
        throw new ApiError("CodeTooLarge", `The upload is larger than the ${MAX_ZIPPED_CODE_BYTES} byte (50 MB) limit for a zipped function.`);
      },
    }),
  );
  app.openapi(
    publish,
    async (c) => {
      const { name } = c.req.valid("param");
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      let zip: Buffer;
      let description = "";
      let environment: Record<string, string> | undefined;
      if (type === "application/zip" || type === "application/octet-stream" || type === "application/x-zip-compressed") {
        zip = Buffer.from(await c.req.arrayBuffer());
        description = c.req.query("description") ?? "";
      } else if (type === "application/json") {
        // Already validated against PublishVersionBody by the route's JSON validator.
        const body = c.req.valid("json") as PublishVersionBody;
        if (!/^[A-Za-z0-9+/=\s_-]+$/.test(body.code)) {
          throw new ApiError("InvalidZip", 'Body field "code" is not base64. Send the zip base64-encoded, or send the raw zip with Content-Type: application/zip.');
        }
        zip = Buffer.from(body.code, "base64");
        description = body.description;
        environment = body.environment;
      } else {
        throw new ApiError(
          "UnsupportedMediaType",
          `Content-Type "${type || "(none)"}" is not accepted. Send the raw zip as application/zip, or JSON {"code": "<base64 zip>"} as application/json.`,
        );
      }
      return c.json(await service.publish(name, zip, description, actorOf(c), environment), 201);
    },
  );
  app.openapi(list, async (c) => c.json({ versions: await service.list(c.req.valid("param").name) }, 200));
  app.openapi(get, async (c) => {
    const { name, version } = c.req.valid("param");
    return c.json(await service.get(name, version), 200);
  });
  return app;
}
