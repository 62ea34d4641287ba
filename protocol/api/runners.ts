/**
 * Wire schema of GET /api/v1/runners: each runner's health, capacity, load, warm instances per
 * function version and last heartbeat. The platform's runner sources (the fleet and the embedded
 * runner, platform/src/fleet/runner-views.ts) build exactly this view.
 */
import { z } from "@hono/zod-openapi";

export const RunnerView = z
  .object({
    id: z.string(),
    pool: z.string(),
    labels: z.record(z.string(), z.string()),
    address: z.string(),
    backend: z.string(),
    status: z.string().openapi({ description: "ready, draining, unreachable, dead or stopped" }),
    healthy: z.boolean(),
    capacity: z.object({ memoryMb: z.number().nullable(), maxInstances: z.number().nullable() }),
    load: z.object({ inflight: z.number(), instances: z.number(), memoryMb: z.number() }),
    warm: z.array(
      z.object({
        function: z.string(),
        version: z.number(),
        instances: z.number(),
        warm: z.number().openapi({ description: "Instances that can take an invocation now" }),
        free: z.number().openapi({ description: "Invocation slots free now (instances × instanceConcurrency − in flight)" }),
        inflight: z.number(),
        held: z.number().openapi({ description: "Instances kept by provisioned concurrency or a scheduled minimum" }),
      }),
    ),
    stems: z.record(z.string(), z.number()).openapi({ description: "Idle prewarmed stem instances per runtime" }),
    lastHeartbeatAt: z.string().nullable(),
    heartbeatAgeMs: z.number().nullable(),
    registeredAt: z.string().nullable(),
  })
  .openapi("Runner");
export type RunnerView = z.infer<typeof RunnerView>;

/** GET /api/v1/runners?include=gone also lists recorded runners that died or stopped. */
export const RunnerListQuery = z.object({
  include: z.enum(["gone"]).optional().openapi({ description: "`gone` also lists recorded runners that died or stopped" }),
});
export type RunnerListQuery = z.infer<typeof RunnerListQuery>;

export const RunnerList = z.object({ runners: z.array(RunnerView) });
export type RunnerList = z.infer<typeof RunnerList>;
