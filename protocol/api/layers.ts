/**
 * Wire schemas of /api/v1/layers (Lambda-style layers): the JSON publish body (a raw zip, sent as
 * application/zip, needs none), the layer version view, the lists, and the `name:N` reference a
 * function's `layers` setting holds.
 */
import { z } from "@hono/zod-openapi";
import { LAYER_NAME_PATTERN } from "../limits.ts";

/** Layer version numbers, as function version numbers, are 32-bit (versions.ts is not imported: functions.ts imports this module). */
const MAX_LAYER_VERSION = 2_147_483_647;
const LAYER_VERSION_RANGE = `must be a layer version number from 1 to ${MAX_LAYER_VERSION}`;
const LayerVersionNumberParam = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, LAYER_VERSION_RANGE)
  .transform(Number)
  .pipe(z.number().int().max(MAX_LAYER_VERSION, LAYER_VERSION_RANGE));

/** Most layers a function may use, as in Lambda. */
export const MAX_LAYERS_PER_FUNCTION = 5;

export { LAYER_NAME_PATTERN };

export const LayerName = z
  .string()
  .regex(LAYER_NAME_PATTERN, "must be 1-64 characters of letters, digits, '-' or '_'")
  .openapi({ example: "shared-deps" });

/** `name:N`, or Lambda's layer version ARN `arn:aws:lambda:<region>:<account>:layer:name:N` (only name and N are kept). */
const LAYER_REF = /^(?:arn:aws:lambda:[a-z0-9-]*:[0-9]*:layer:)?([a-zA-Z0-9-_]{1,64}):([1-9][0-9]{0,8})$/;

/** A layer version reference, as a function's configuration gives it: normalised to `name:N`. */
export const LayerRef = z
  .string()
  .regex(LAYER_REF, 'must be "<layer name>:<version>", e.g. "shared-deps:3" (or a Lambda layer version ARN)')
  .transform((s) => {
    const [, name, version] = LAYER_REF.exec(s)!;
    return `${name}:${Number(version)}`;
  })
  .openapi({ example: "shared-deps:3" });

/** The layers of a function, in the order they are merged (a later layer's files win). */
export const LayerRefs = z
  .array(LayerRef)
  // The count is checked by the service (TooManyLayers), beside the other layer checks.
  .openapi({ description: `Layer versions ("name:N") merged at /opt in this order, later ones overriding earlier ones file by file; at most ${MAX_LAYERS_PER_FUNCTION}.` });

/** Split a normalised `name:N` reference. */
export function parseLayerRef(ref: string): { name: string; version: number } {
  const i = ref.lastIndexOf(":");
  return { name: ref.slice(0, i), version: Number(ref.slice(i + 1)) };
}

export const LayerNameParam = z.object({ name: LayerName.openapi({ param: { name: "name", in: "path" } }) });
export const LayerVersionParam = LayerNameParam.extend({
  version: LayerVersionNumberParam.openapi({ param: { name: "version", in: "path" }, example: "1" }),
});

export const PublishLayerVersionBody = z
  .object({
    code: z.string().min(1).openapi({ description: "The zip archive, base64-encoded; its top-level directories land under /opt (nodejs/, python/, bin/, lib/...)" }),
    compatibleRuntimes: z
      .array(z.string().min(1))
      .max(15)
      .default([])
      .openapi({ description: "Runtimes the layer works with (e.g. nodejs20, python3.12); empty: any runtime", example: ["nodejs20"] }),
    description: z.string().max(256).default(""),
  })
  .strict()
  .openapi("PublishLayerVersion");
export type PublishLayerVersionBody = z.infer<typeof PublishLayerVersionBody>;

/** An immutable layer version. */
export const LayerVersionView = z
  .object({
    layerName: z.string(),
    version: z.number(),
    codeSha256: z.string(),
    /** Bytes of the zip. */
    codeSize: z.number(),
    /** Bytes of the extracted files: what counts toward a function's 250 MB. */
    unzippedSize: z.number(),
    compatibleRuntimes: z.array(z.string()),
    description: z.string(),
    createdAt: z.string(),
  })
  .openapi("LayerVersion");
export type LayerVersionView = z.infer<typeof LayerVersionView>;

/** GET /api/v1/layers: each layer with its latest version. */
export const LayerList = z
  .object({ layers: z.array(z.object({ layerName: z.string(), latestVersion: LayerVersionView })) })
  .openapi("LayerList");
export type LayerList = z.infer<typeof LayerList>;

/** GET /api/v1/layers/{name}/versions, newest first. */
export const LayerVersionList = z.object({ layerVersions: z.array(LayerVersionView) }).openapi("LayerVersionList");
export type LayerVersionList = z.infer<typeof LayerVersionList>;
