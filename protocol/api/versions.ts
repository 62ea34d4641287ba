/**
 * Wire schemas of /api/v1/functions/{name}/versions: the JSON publish body (the raw zip, sent as
 * application/zip, needs none), what a publish answers, and the version view.
 */
import { z } from "@hono/zod-openapi";

export const PublishVersionBody = z
  .object({
    code: z.string().min(1).openapi({ description: "The zip archive, base64-encoded" }),
    description: z.string().max(256).default(""),
  })
  .strict()
  .openapi("PublishVersion");
export type PublishVersionBody = z.infer<typeof PublishVersionBody>;

/** The answer to a publish: the number given and the code's identity as the platform stored it. */
export const PublishedVersion = z.object({ version: z.number(), codeSha256: z.string(), codeSize: z.number() }).openapi("PublishedVersion");
export type PublishedVersion = z.infer<typeof PublishedVersion>;

/** A version: immutable, with a snapshot of the function's configuration when it was published. */
export const VersionView = z
  .object({
    functionName: z.string(),
    version: z.number(),
    codeSha256: z.string(),
    codeSize: z.number(),
    description: z.string(),
    runtime: z.string(),
    handler: z.string(),
    memorySize: z.number(),
    timeout: z.number(),
    environment: z.record(z.string(), z.string()),
    protocol: z.string(),
    instanceConcurrency: z.number(),
    createdAt: z.string(),
  })
  .openapi("Version");
export type VersionView = z.infer<typeof VersionView>;

/** GET /api/v1/functions/{name}/versions. */
export const VersionList = z.object({ versions: z.array(VersionView) });
export type VersionList = z.infer<typeof VersionList>;
