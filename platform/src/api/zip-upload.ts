/**
 * Zip uploads, shared by the routes that take one (function versions, layer versions): the
 * request body a route declares (raw zip, or JSON with the zip base64-encoded in `code`), the
 * body size limit, and reading the zip out of either form with precise errors.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../../../protocol/errors.ts";
import { MAX_ZIPPED_CODE_BYTES } from "../../../protocol/limits.ts";

/** Base64 makes a 50 MB zip about 67 MB of JSON. */
const MAX_UPLOAD_BODY = Math.ceil(MAX_ZIPPED_CODE_BYTES * 1.37) + 4096;

const ZIP_TYPES = new Set(["application/zip", "application/octet-stream", "application/x-zip-compressed"]);

/** The `request.body` of a route taking a zip: raw, or JSON described by `json` (with a base64 `code`). */
export function zipUploadBody<T extends z.ZodType>(json: T) {
  return {
    // Not "required": a required body makes the JSON validator run for zip uploads too.
    required: false,
    content: {
      "application/zip": { schema: z.string().openapi({ format: "binary" }) },
      "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) },
      "application/json": { schema: json },
    },
  };
}

/** Refuses bodies larger than a base64-encoded 50 MB zip before they are read. */
export function zipUploadLimit(what: string) {
  return bodyLimit({
    maxSize: MAX_UPLOAD_BODY,
    onError: () => {
      throw new ApiError("CodeTooLarge", `The upload is larger than the ${MAX_ZIPPED_CODE_BYTES} byte (50 MB) limit for a zipped ${what}.`);
    },
  });
}

/**
 * The zip of an upload, with the JSON body when one was sent (already validated by the route).
 * A raw zip's other fields come from the query string, which the caller reads.
 */
export async function readZipUpload<B extends { code: string }>(c: Context): Promise<{ zip: Buffer; json?: B }> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (ZIP_TYPES.has(type)) return { zip: Buffer.from(await c.req.arrayBuffer()) };
  if (type === "application/json") {
    const body = (c.req as unknown as { valid(t: "json"): B }).valid("json");
    if (!/^[A-Za-z0-9+/=\s_-]+$/.test(body.code)) {
      throw new ApiError("InvalidZip", 'Body field "code" is not base64. Send the zip base64-encoded, or send the raw zip with Content-Type: application/zip.');
    }
    return { zip: Buffer.from(body.code, "base64"), json: body };
  }
  throw new ApiError(
    "UnsupportedMediaType",
    `Content-Type "${type || "(none)"}" is not accepted. Send the raw zip as application/zip, or JSON {"code": "<base64 zip>"} as application/json.`,
  );
}
