/**
 * The config of a `Scheduled` trigger: when it fires (`schedule`, see protocol/schedule-expression.ts),
 * in which time zone, the event's `detail`, and whether ticks missed while no replica could fire
 * are replayed. The triggers API validates with this schema; the schedule engine
 * (platform/src/schedules) reads the same shape.
 */
import { z } from "@hono/zod-openapi";
import { parseSchedule } from "../schedule-expression.ts";

export const ScheduledTriggerConfig = z
  .object({
    schedule: z
      .string()
      .min(1)
      .max(256)
      .openapi({ description: "rate(5 minutes), cron(0 12 * * ? *) (EventBridge), or a standard 5- or 6-field cron (seconds first)", example: "rate(5 minutes)" }),
    timezone: z.string().max(64).default("UTC").openapi({ description: "IANA time zone the cron fields are read in", example: "Europe/Paris" }),
    input: z.unknown().optional().openapi({ description: "JSON given to the function as the event's `detail` (default {})" }),
    catchUp: z.boolean().default(false).openapi({ description: "Replay ticks missed while no replica could fire (beyond the misfire grace); default false" }),
  })
  .strict()
  .superRefine((c, ctx) => {
    const parsed = parseSchedule(c.schedule, { timezone: c.timezone });
    if (typeof parsed !== "string") return;
    ctx.addIssue({ code: "custom", path: parsed.startsWith("timezone") ? ["timezone"] : ["schedule"], message: parsed });
  })
  .openapi("ScheduledTriggerConfig");
export type ScheduledTriggerConfig = z.infer<typeof ScheduledTriggerConfig>;
export type ScheduledTriggerConfigInput = z.input<typeof ScheduledTriggerConfig>;
