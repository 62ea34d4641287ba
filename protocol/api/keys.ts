/**
 * Wire schemas of /api/v1/keys: creating an API key (role, function scope, expiry, approve flag,
 * rate limit), the key as listed (never its secret), and the answers that show a secret once
 * (create and rotate). The platform validates with these and the typed client is typed by them.
 */
import { z } from "@hono/zod-openapi";

export const KEY_ROLES = ["admin", "deployer", "invoker", "viewer"] as const;
export const KeyRole = z.enum(KEY_ROLES).openapi({ example: "deployer" });

/** A key's public id (also the SigV4 access key id after `hs_`). */
export const KeyId = z.string().regex(/^[a-z0-9]{4,32}$/, "must be 4-32 of [a-z0-9]").openapi({ example: "k3x9a0b1c2d4" });

/** A function-name pattern: a function name where `*` stands for any run of characters. */
export const FunctionPattern = z
  .string()
  .regex(/^[a-zA-Z0-9_*-]{1,64}$/, "must be a function name, where * matches any run of characters (e.g. orders-*)")
  .openapi({ example: "orders-*" });

export const KeyRateLimit = z
  .object({
    rps: z.number().positive().max(1_000_000).openapi({ description: "Requests per second", example: 50 }),
    burst: z.number().int().min(1).max(1_000_000).openapi({ description: "Requests allowed at once above the rate", example: 100 }),
  })
  .strict()
  .openapi("KeyRateLimit");

export const CreateKeyBody = z
  .object({
    name: z.string().min(1).max(128).openapi({ example: "ci-deployer" }),
    role: KeyRole,
    functions: z.array(FunctionPattern).min(1).max(100).optional().openapi({ description: "Limit the key to these functions; omitted: every function" }),
    expiresAt: z.string().datetime({ offset: true }).optional().openapi({ description: "When the key stops working (ISO-8601)", example: "2027-01-01T00:00:00Z" }),
    canApprove: z.boolean().optional().openapi({ description: "May approve deployments to protected aliases (admins always may)" }),
    rateLimit: KeyRateLimit.optional(),
  })
  .strict()
  .openapi("CreateKeyBody");
export type CreateKeyBody = z.infer<typeof CreateKeyBody>;

/** A key as listed and read: everything but its secret. */
export const KeyView = z
  .object({
    id: KeyId,
    name: z.string(),
    role: z.string().openapi({ description: "admin, deployer, invoker or viewer" }),
    functions: z.array(z.string()).nullable(),
    canApprove: z.boolean(),
    rateLimit: KeyRateLimit.nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    /** SigV4 access key id (`hs_<id>`). */
    accessKeyId: z.string(),
  })
  .openapi("Key");
export type KeyView = z.infer<typeof KeyView>;

export const KeyList = z.object({ keys: z.array(KeyView) }).openapi("KeyList");
export type KeyList = z.infer<typeof KeyList>;

/** A key with its secret: the answer of create and rotate, the only time the secret is shown. */
export const KeyWithSecret = KeyView.extend({
  key: z.string().openapi({ description: "The whole key, hs_<id>_<secret>: shown once, store it now", example: "hs_k3x9a0b1c2d4_..." }),
}).openapi("KeyWithSecret");
export type KeyWithSecret = z.infer<typeof KeyWithSecret>;
