/**
 * Readable units for the SDK's args ("256 MB", "30 seconds", "500 ms") and their conversions to
 * what the API takes (megabytes, seconds, milliseconds, ISO-8601 durations such as "PT5M").
 *
 * Everything here runs inside the dynamic providers too, so it must stay serializable by Pulumi's
 * closure serializer: plain functions and constants, no imports.
 */

/** A size in binary units: 1 GB = 1024 MB, as in SST and the platform's infra components. */
export type Size = `${number} MB` | `${number} GB`;
/** A readable duration. */
export type Duration = `${number} ${"ms" | "millisecond" | "milliseconds" | "second" | "seconds" | "minute" | "minutes" | "hour" | "hours" | "day" | "days"}`;

export const SIZE_HINT = 'must be a size like "256 MB" or "1 GB"';
export const DURATION_HINT = 'must be a duration like "500 ms", "30 seconds", "5 minutes" or "1 hour"';

const SIZE = /^(\d+(?:\.\d+)?)\s*(MB|GB)$/;
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|milliseconds?|seconds?|minutes?|hours?|days?)$/;

/** "256 MB" → 256, "1.5 GB" → 1536; undefined when the value is not a size. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = SIZE.exec(value.trim());
  if (!m) return undefined;
  const mb = Number(m[1]) * (m[2] === "GB" ? 1024 : 1);
  return Number.isFinite(mb) && mb > 0 ? Math.round(mb) : undefined;
}

/** "500 ms" → 500, "5 minutes" → 300000; undefined when the value is not a positive duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = DURATION.exec(value.trim());
  if (!m) return undefined;
  const unit = m[2]!;
  const factor = unit === "ms" || unit.startsWith("millisecond") ? 1 : unit.startsWith("second") ? 1000 : unit.startsWith("minute") ? 60_000 : unit.startsWith("hour") ? 3_600_000 : 86_400_000;
  const ms = Number(m[1]) * factor;
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

/** Milliseconds as an ISO-8601 duration, the API's format: 300000 → "PT5M", 90000 → "PT1M30S", 1500 → "PT1.5S". */
export function toIsoDuration(ms: number): string {
  let rest = Math.round(ms);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  let out = "PT";
  if (hours > 0) out += `${hours}H`;
  if (minutes > 0) out += `${minutes}M`;
  if (seconds > 0 || out === "PT") out += `${seconds}S`;
  return out;
}

/** Milliseconds for messages: 300000 → "5 minutes", 1500 → "1.5 seconds", 500 → "500 ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (ms % 86_400_000 === 0) return plural(ms / 86_400_000, "day");
  if (ms % 3_600_000 === 0) return plural(ms / 3_600_000, "hour");
  if (ms % 60_000 === 0) return plural(ms / 60_000, "minute");
  return plural(ms / 1000, "second");
}
