/**
 * Durations as people type them on the command line (`90s`, `5m`, `1h30m`, `500ms`, `2d`) or as
 * ISO-8601 (`PT5M`), turned into milliseconds, into the ISO-8601 the API takes, or into a point
 * in the past (`logs --since 10m`).
 */
import { parseDuration } from "../protocol/api/durations.ts";
import { CliError, EXIT } from "./exit-codes.ts";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SHORT = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;

/** Milliseconds of `5m`, `1h30m`, `PT5M`...; a usage error naming `what` otherwise. */
export function parseCliDuration(text: string, what: string): number {
  if (SHORT.test(text)) {
    let ms = 0;
    for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    return Math.round(ms);
  }
  const iso = parseDuration(text.toUpperCase());
  if (iso !== undefined) return iso;
  throw new CliError(`${what} "${text}" is not a duration; write e.g. 30s, 5m, 1h30m or PT5M.`, EXIT.usage);
}

/** The ISO-8601 form the API takes: 300000 → PT300S. */
export function isoDuration(ms: number): string {
  return `PT${Number((ms / 1000).toFixed(3))}S`;
}

/** `10m` → the ISO time 10 minutes ago; an ISO-8601 time or epoch milliseconds pass through. */
export function sinceTime(text: string, now = Date.now()): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(text) || /^\d{10,}$/.test(text)) return text;
  return new Date(now - parseCliDuration(text, "--since")).toISOString();
}
