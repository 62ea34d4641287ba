/**
 * Wire schemas of the system endpoints: GET /health (no auth) and GET /api/v1/runtimes.
 */
import { z } from "@hono/zod-openapi";

/** 200 when every dependency answers, 503 with the same shape (plus `error`) when one does not. */
export const HealthView = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    checks: z.record(z.string(), z.string()).openapi({ example: { database: "ok", state: "ok", codeStore: "ok", runners: "ok" } }),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .openapi("Health");
export type HealthView = z.infer<typeof HealthView>;

export const RuntimeView = z
  .object({
    id: z.string(),
    available: z.boolean(),
    using: z.string().optional(),
    version: z.string().optional(),
    reason: z.string().optional(),
  })
  .openapi("Runtime");
export type RuntimeView = z.infer<typeof RuntimeView>;

/** GET /api/v1/runtimes: the configured backend and each runtime's availability on it. */
export const RuntimeList = z.object({ backend: z.string(), runtimes: z.array(RuntimeView) });
export type RuntimeList = z.infer<typeof RuntimeList>;
