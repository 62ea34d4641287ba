/**
 * Wire schema of GET /api/v1/whoami: who the caller is (subject, how it authenticated, roles,
 * function scope) and every permission it holds, so a client (the console) offers only what the
 * principal may do. The platform still checks every request; this is a description, not a grant.
 */
import { z } from "@hono/zod-openapi";

export const WhoAmI = z
  .object({
    subject: z.string().openapi({ example: "key:k3x9a0b1c2d4" }),
    keyId: z.string().nullable().openapi({ description: "The API key behind the request; null for a JWT" }),
    method: z.string().openapi({ example: "bearer", description: "bearer, sigv4 or jwt" }),
    roles: z.array(z.string()).openapi({ example: ["deployer"] }),
    functions: z.array(z.string()).nullable().openapi({ description: "Function-name patterns the caller may touch; null: every function" }),
    canApprove: z.boolean(),
    permissions: z.array(z.string()).openapi({ description: "Every permission the caller holds (within its function scope)", example: ["functions:read"] }),
  })
  .openapi("WhoAmI");
export type WhoAmI = z.infer<typeof WhoAmI>;
