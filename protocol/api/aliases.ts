/**
 * Wire schemas of /api/v1/functions/{name}/aliases: an alias's name, its routing config (weighted
 * extra versions), the PUT body and the alias view.
 */
import { z } from "@hono/zod-openapi";
import { ALIAS_NAME_PATTERN } from "../limits.ts";
import { MAX_VERSION_NUMBER, VersionNumber } from "./versions.ts";

export const AliasName = z
  .string()
  .regex(ALIAS_NAME_PATTERN, "must be 1-128 characters of letters, digits, '-' or '_', and not only digits")
  .openapi({ example: "live" });
export type AliasName = z.infer<typeof AliasName>;

export const RoutingConfig = z
  .object({
    additionalVersionWeights: z
      .record(z.string().regex(/^[1-9][0-9]{0,9}$/, "keys must be version numbers").refine((k) => Number(k) <= MAX_VERSION_NUMBER, `keys must be version numbers up to ${MAX_VERSION_NUMBER}`), z.number().min(0).max(1))
      .default({}),
  })
  .strict()
  .openapi("RoutingConfig");
export type RoutingConfig = z.infer<typeof RoutingConfig>;

export const PutAliasBody = z
  .object({
    version: VersionNumber,
    routingConfig: RoutingConfig.optional(),
    description: z.string().max(256).default(""),
    protected: z.boolean().optional().openapi({
      description:
        "A protected alias's traffic (version, weights) changes only through a deployment approved by another principal. Omitted: false on create, unchanged on update. Changing it on an existing alias needs deployments:approve",
    }),
  })
  .strict()
  .openapi("PutAlias");
/** What a caller sends: defaults (description "") may be left out. */
export type PutAliasInput = z.input<typeof PutAliasBody>;
export type PutAliasBody = z.infer<typeof PutAliasBody>;

/**
 * The sticky split an ABTesting deployment puts on its alias: requests whose key hashes (with
 * `salt`) below `variantWeight` go to `variantVersion`, the rest to the primary version.
 */
export const AbTestRule = z
  .object({
    variantVersion: z.number(),
    variantWeight: z.number().openapi({ description: "0..1" }),
    key: z.union([z.object({ header: z.string() }), z.object({ cookie: z.string() }), z.object({ query: z.string() })]),
    salt: z.string(),
  })
  .openapi("AbTestRule", { description: "Set only while an ABTesting deployment runs on the alias" });
export type AbTestRule = z.infer<typeof AbTestRule>;

export const AliasView = z
  .object({
    functionName: z.string(),
    name: z.string(),
    version: z.number(),
    routingConfig: z.object({
      additionalVersionWeights: z.record(z.string(), z.number()),
      abTest: AbTestRule.optional(),
    }),
    description: z.string(),
    protected: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Alias");
export type AliasView = z.infer<typeof AliasView>;

/** GET /api/v1/functions/{name}/aliases. */
export const AliasList = z.object({ aliases: z.array(AliasView) });
export type AliasList = z.infer<typeof AliasList>;
