/**
 * Wire schemas of /api/v1/functions/{name}/versions: the JSON publish body (the raw zip, sent as
 * application/zip, needs none), what a publish answers, and the version view.
 */
import { z } from "@hono/zod-openapi";
import { Environment, MaskedSecrets } from "./functions.ts";

/** The largest version number: versions are stored as 32-bit integers, as Lambda's are. */
export const MAX_VERSION_NUMBER = 2_147_483_647;
const VERSION_RANGE = `must be a version number from 1 to ${MAX_VERSION_NUMBER}`;

/** A version number as a JSON body gives it. */
export const VersionNumber = z.number({ message: VERSION_RANGE }).int(VERSION_RANGE).positive(VERSION_RANGE).max(MAX_VERSION_NUMBER, VERSION_RANGE);

/**
 * A version number in a JSON body, also as other tools write it: `2`, `"2"` or `"v2"` (the seeds'
 * Quick Start deploys `"version": "v2"`).
 */
export const VersionRef = z.preprocess(
  (v) => (typeof v === "string" && /^v?[1-9][0-9]{0,9}$/i.test(v.trim()) ? Number(v.trim().replace(/^v/i, "")) : v),
  VersionNumber,
);

/** A version number as a path parameter gives it (digits only, so "1e3" or "0x10" is no version). */
export const VersionNumberParam = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, VERSION_RANGE)
  .transform(Number)
  .pipe(VersionNumber);

export const PublishVersionBody = z
  .object({
    code: z.string().min(1).openapi({ description: "The zip archive, base64-encoded" }),
    description: z.string().max(256).default(""),
    environment: Environment.optional().openapi({
      description: "Variables for this version only, laid over the function's environment in the version's snapshot",
    }),
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
    /** The function's secret names at publish time, each shown as "***". */
    secrets: MaskedSecrets,
    protocol: z.string(),
    instanceConcurrency: z.number(),
    /** The layer versions it runs with, resolved when it was published, in merge order. */
    layers: z.array(z.object({ name: z.string(), version: z.number(), codeSha256: z.string() })),
    createdAt: z.string(),
  })
  .openapi("Version");
export type VersionView = z.infer<typeof VersionView>;

/** GET /api/v1/functions/{name}/versions. */
export const VersionList = z.object({ versions: z.array(VersionView) });
export type VersionList = z.infer<typeof VersionList>;
