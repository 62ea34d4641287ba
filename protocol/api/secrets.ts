/**
 * Wire schema of POST /api/v1/admin/secrets/rotate: every sealed value (function secrets, their
 * version snapshots, API key secrets) re-sealed under the server's current key.
 */
import { z } from "@hono/zod-openapi";

export const SecretRotation = z
  .object({
    /** The key id every value is sealed under now. */
    keyId: z.string(),
    /** Values moved to the current key, per kind. */
    functions: z.number(),
    versions: z.number(),
    apiKeys: z.number(),
    /** Values already under the current key. */
    unchanged: z.number(),
  })
  .openapi("SecretRotation");
export type SecretRotation = z.infer<typeof SecretRotation>;
