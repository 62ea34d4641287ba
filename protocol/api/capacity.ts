/**
 * A function's capacity settings on the wire: reservedConcurrency, provisionedConcurrency, keepWarm,
 * idleTimeout and scheduledScaling, the same keys in create, update and the view. The checks of a
 * cron expression and of a duration's bounds live here, beside the schemas that use them, so the
 * platform's capacity planner (platform/src/fleet/capacity-settings.ts) and the API agree on what
 * is valid.
 */
import { z } from "@hono/zod-openapi";
import { Cron } from "croner";
import { parseDuration } from "./durations.ts";

export const MIN_IDLE_TIMEOUT_MS = 1000;
export const MAX_IDLE_TIMEOUT_MS = 24 * 3600 * 1000;

/** Why `expr` is not a usable cron expression, or undefined when it is. */
export function cronProblem(expr: string, timezone?: string): string | undefined {
  try {
    const c = new Cron(expr, { paused: true, timezone });
    if (c.nextRun() === null) return `"${expr}" never fires`;
    return undefined;
  } catch (e) {
    const msg = (e as Error).message;
    return timezone !== undefined && /timezone/i.test(msg)
      ? `"${timezone}" is not an IANA time zone (e.g. "Europe/Paris", "UTC")`
      : `"${expr}" is not a cron expression (5 fields "min hour day month weekday", or 6 with seconds first): ${msg}`;
  }
}

/** Why `text` is not a usable ISO-8601 duration within [min, max] ms, or undefined when it is. */
export function durationProblem(text: string, minMs: number, maxMs: number): string | undefined {
  const ms = parseDuration(text);
  if (ms === undefined) return `"${text}" is not an ISO-8601 duration such as "PT30S", "PT10M" or "PT1H"`;
  if (ms < minMs || ms > maxMs) return `must be between ${minMs / 1000} seconds and ${maxMs / 3600_000} hours`;
  return undefined;
}

const TimeZone = z.string().min(1).max(64).openapi({ example: "Europe/Paris", description: "IANA time zone of the cron expression (default UTC)" });

function checkCron(v: { schedule: string; timezone?: string }, ctx: z.RefinementCtx): void {
  const problem = cronProblem(v.schedule, v.timezone);
  if (problem) ctx.addIssue({ code: "custom", path: [problem.includes("time zone") ? "timezone" : "schedule"], message: problem });
}

export const KeepWarm = z
  .object({
    schedule: z.string().min(1).max(256).default("*/1 * * * *").openapi({
      example: "*/5 * * * *",
      description: "Cron expression (5 fields, or 6 with seconds first). On each fire, at least `instances` instances are made warm.",
    }),
    instances: z.number().int().min(1).max(100).default(1),
    timezone: TimeZone.optional(),
  })
  .strict()
  .superRefine(checkCron)
  .openapi("KeepWarm");
export type KeepWarm = z.infer<typeof KeepWarm>;

export const ScalingSchedule = z
  .object({
    schedule: z.string().min(1).max(256).openapi({ example: "0 9 * * 1-5", description: "Cron expression: when the window opens." }),
    duration: z
      .string()
      .superRefine((v, ctx) => {
        const p = durationProblem(v, 1000, 7 * 24 * 3600 * 1000);
        if (p) ctx.addIssue({ code: "custom", message: p });
      })
      .openapi({ example: "PT8H", description: "ISO-8601 length of the window." }),
    minInstances: z.number().int().min(1).max(1000),
    timezone: TimeZone.optional(),
  })
  .strict()
  .superRefine(checkCron)
  .openapi("ScalingSchedule");
export type ScalingSchedule = z.infer<typeof ScalingSchedule>;

const IdleTimeout = z
  .string()
  .superRefine((v, ctx) => {
    const p = durationProblem(v, MIN_IDLE_TIMEOUT_MS, MAX_IDLE_TIMEOUT_MS);
    if (p) ctx.addIssue({ code: "custom", message: p });
  })
  .openapi({ example: "PT10M", description: "ISO-8601: an instance idle this long is stopped (scale to zero). Default: the runner's HOTSWAP_IDLE_TIMEOUT." });

/** The request schemas of the capacity settings, keyed by their field name in create and update. */
export const capacitySettings = {
  reservedConcurrency: z.number().int().min(0).max(100000).nullable().openapi({
    description: "Cap on concurrent invocations across the fleet; beyond it invocations get 429. 0 throttles every invocation. null: no cap.",
  }),
  provisionedConcurrency: z.number().int().min(0).max(1000).openapi({
    description: "Instances of the version an unqualified invoke runs kept initialised across the fleet, placed again when a runner dies.",
  }),
  keepWarm: KeepWarm.nullable(),
  idleTimeout: IdleTimeout.nullable(),
  scheduledScaling: z.array(ScalingSchedule).max(20).openapi({ description: "Minimum instances for time windows opened by cron expressions." }),
};
