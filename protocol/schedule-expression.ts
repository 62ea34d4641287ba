/**
 * Schedule expressions of Scheduled triggers, parsed once and asked for their next tick: EventBridge's
 * `rate(5 minutes)` and `cron(0 12 * * ? *)` (minutes hours day-of-month month day-of-week year, `?`
 * for "any", days of the week 1-7 = SUN-SAT), and standard 5-field or 6-field cron (the 6-field
 * form starts with seconds, so `*\/1 * * * * *` ticks every second), each in an IANA time zone.
 * Pure: croner computes cron ticks; a rate ticks every period from its anchor (the trigger's
 * creation), so the sequence of ticks is the same whichever replica computes it.
 */
import { Cron } from "croner";

export type ScheduleKind = "rate" | "eventbridge-cron" | "cron";

export interface Schedule {
  readonly kind: ScheduleKind;
  /** The first tick strictly after `after`; null when there is none (a cron bound to past years). */
  next(after: Date): Date | null;
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const EVENTBRIDGE_CRON = /^cron\((.*)\)$/;

/** True when `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses `expression` in `timezone` (default UTC); `anchor` is where a rate's ticks start. Returns a
 * sentence saying what is wrong when the expression is not one of the accepted forms.
 */
export function parseSchedule(expression: string, opts: { timezone?: string; anchor?: Date } = {}): Schedule | string {
  const timezone = opts.timezone ?? "UTC";
  if (!isTimeZone(timezone)) return `timezone "${timezone.slice(0, 64)}" is not an IANA time zone name (e.g. "UTC", "Europe/Paris")`;
  const text = expression.trim();
  if (text.startsWith("rate(")) return parseRate(text, opts.anchor ?? new Date(0));
  const eb = EVENTBRIDGE_CRON.exec(text);
  if (eb) return parseEventBridgeCron(eb[1]!.trim(), timezone);
  return parseCron(text, timezone);
}

function parseRate(text: string, anchor: Date): Schedule | string {
  const m = RATE.exec(text);
  if (!m) return `"${text.slice(0, 64)}" is not a rate expression: use rate(<value> <unit>) with unit minute(s), hour(s) or day(s), e.g. rate(5 minutes); for seconds use a 6-field cron such as "*/10 * * * * *"`;
  const value = Number(m[1]);
  const unit = m[2]!;
  const singular = unit.endsWith("s") ? unit.slice(0, -1) : unit;
  if (value < 1) return `rate value must be a positive integer, got ${m[1]}`;
  if (value === 1 && unit.endsWith("s")) return `write rate(1 ${singular}), singular, as EventBridge does`;
  if (value > 1 && !unit.endsWith("s")) return `write rate(${value} ${singular}s), plural, as EventBridge does`;
  const period = value * UNIT_MS[singular as keyof typeof UNIT_MS];
  const start = anchor.getTime();
  return {
    kind: "rate",
    next(after) {
      const k = Math.floor((after.getTime() - start) / period) + 1;
      return new Date(start + Math.max(k, 1) * period);
    },
  };
}

function parseEventBridgeCron(body: string, timezone: string): Schedule | string {
  const fields = body.split(/\s+/);
  if (fields.length !== 6) return `cron(${body.slice(0, 64)}) must have 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`;
  const [, , dom, , dow] = fields;
  if ((dom === "?") === (dow === "?")) return `cron(${body.slice(0, 64)}): exactly one of day-of-month and day-of-week must be "?", as EventBridge requires`;
  // croner's 7-part form is seconds-first with a year; Quartz numbering makes 1-7 mean SUN-SAT, as EventBridge's does.
  const pattern = ["0", ...fields.map((f) => (f === "?" ? "*" : f))].join(" ");
  return cronSchedule("eventbridge-cron", pattern, { timezone, mode: "7-part", alternativeWeekdays: true }, `cron(${body})`);
}

function parseCron(text: string, timezone: string): Schedule | string {
  const fields = text.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `"${text.slice(0, 64)}" is not a schedule: use rate(<value> <unit>), cron(<6 EventBridge fields>), or a standard cron of 5 fields (minute hour day month weekday) or 6 (seconds first)`;
  }
  const pattern = fields.map((f) => (f === "?" ? "*" : f)).join(" ");
  return cronSchedule("cron", pattern, { timezone, mode: fields.length === 5 ? "5-part" : "6-part" }, text);
}

function cronSchedule(kind: ScheduleKind, pattern: string, options: ConstructorParameters<typeof Cron>[1], shown: string): Schedule | string {
  let cron: Cron<unknown>;
  try {
    cron = new Cron(pattern, { ...options, paused: true });
  } catch (e) {
    return `"${shown.slice(0, 80)}" is not a valid cron expression: ${(e as Error).message.replace(/^CronPattern: /, "")}`;
  }
  return { kind, next: (after) => cron.nextRun(after) };
}
