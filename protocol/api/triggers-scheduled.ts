/**
 * The config of a `Scheduled` trigger: when it fires (EventBridge's `rate(N unit)` or `cron(6
 * fields)`, or a standard 5- or 6-field cron with seconds), in which IANA time zone, the event it
 * sends (EventBridge's "input"), and whether ticks missed during an outage are replayed. Schedules
 * are checked with croner, the library the scheduler fires them with, so a schedule accepted here
 * is one it can run.
 */
import { z } from "@hono/zod-openapi";
import { Cron } from "croner";

const RATE = /^rate\(\s*([0-9]+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/;
const CRON = /^cron\((.*)\)$/;
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** A schedule as the scheduler runs it: a fixed period, or a croner pattern (7-part for EventBridge's cron). */
export type ParsedSchedule = { kind: "rate"; everyMs: number } | { kind: "cron"; pattern: string };

/**
 * Parse a schedule expression; throws an Error whose message says what is wrong. EventBridge's
 * `rate(1 minute)` needs the singular for 1 and the plural otherwise, as EventBridge does.
 * EventBridge's `cron(min hour day-of-month month day-of-week year)` becomes croner's 7-part
 * pattern with second 0.
 */
export function parseSchedule(expression: string): ParsedSchedule {
  const s = expression.trim();
  const rate = RATE.exec(s);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!;
    if (n < 1) throw new Error(`rate() needs a positive value, got ${n}`);
    const singular = unit.replace(/s$/, "") as keyof typeof UNIT_MS;
    if ((n === 1) !== (unit === singular)) throw new Error(`write rate(${n} ${n === 1 ? singular : singular + "s"}): the unit is singular for 1 and plural otherwise`);
    return { kind: "rate", everyMs: n * UNIT_MS[singular] };
  }
  if (s.startsWith("rate(")) throw new Error(`"${s}" is not rate(<value> <unit>) with unit minute(s), hour(s) or day(s)`);
  const cron = CRON.exec(s);
  if (cron) {
    const fields = cron[1]!.trim().split(/\s+/);
    if (fields.length !== 6) throw new Error(`cron() takes 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
    return { kind: "cron", pattern: checkCron(`0 ${fields.join(" ")}`, "7-part") };
  }
  const fields = s.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new Error(`"${s}" is neither rate(...), cron(...) nor a 5- or 6-field cron expression (6 fields: seconds first)`);
  }
  return { kind: "cron", pattern: checkCron(s, "5-or-6-parts") };
}

function checkCron(pattern: string, mode: "7-part" | "5-or-6-parts"): string {
  try {
    new Cron(pattern, { paused: true, mode });
  } catch (e) {
    throw new Error((e as Error).message.replace(/^CronPattern: /, ""));
  }
  return pattern;
}

/** True when `tz` is an IANA time zone name this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const Json: z.ZodType<unknown> = z.unknown().refine((v) => v !== undefined, "must be a JSON value");

export const ScheduledTriggerConfig = z
  .object({
    schedule: z
      .string()
      .min(1)
      .max(256)
      .superRefine((v, ctx) => {
        try {
          parseSchedule(v);
        } catch (e) {
          ctx.addIssue({ code: "custom", message: `invalid schedule: ${(e as Error).message}` });
        }
      })
      .openapi({ example: "rate(5 minutes)", description: "rate(N unit), cron(6 fields) or a 5/6-field cron" }),
    timezone: z
      .string()
      .max(64)
      .refine(isTimeZone, "must be an IANA time zone name such as Europe/Berlin or UTC")
      .optional()
      .openapi({ description: "IANA time zone of a cron schedule. @default UTC" }),
    input: Json.optional().openapi({ description: "The event to send instead of EventBridge's Scheduled Event" }),
    catchUp: z.boolean().optional().openapi({ description: "Replay ticks missed while no replica ran. @default false" }),
  })
  .strict()
  .openapi("ScheduledTriggerConfig");
export type ScheduledTriggerConfig = z.infer<typeof ScheduledTriggerConfig>;
