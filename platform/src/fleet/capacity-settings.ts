/**
 * A function's capacity settings, between the API, the database columns and the fleet:
 *   reservedConcurrency     functions.reserved_concurrency   cap across the fleet (429 beyond)
 *   provisionedConcurrency  functions.provisioned_concurrency instances kept initialised
 *   keepWarm                functions.keep_warm               { schedule, instances }: on each cron
 *                                                             fire, make sure that many are warm
 *   idleTimeout             functions.scaling.idleTimeout     ISO-8601; idle instances stop after it
 *   scheduledScaling        functions.scaling.schedules       [{ schedule, duration, minInstances,
 *                                                             timezone? }]: a minimum for a window
 * They apply to the version an unqualified invoke runs (alias `live`, else the latest version).
 */
import { Cron } from "croner";
import { MAX_IDLE_TIMEOUT_MS, MIN_IDLE_TIMEOUT_MS, cronProblem, durationProblem } from "../../../protocol/api/capacity.ts";
import type { KeepWarm, ScalingSchedule } from "../../../protocol/api/capacity.ts";
import { parseDuration } from "../../../protocol/api/durations.ts";
import type { FunctionRecord } from "../db/index.ts";

// The wire types and checks live with the API's schemas (protocol/api/capacity.ts); the planner uses the same.
export { MAX_IDLE_TIMEOUT_MS, MIN_IDLE_TIMEOUT_MS, cronProblem, durationProblem, type KeepWarm, type ScalingSchedule };

/** What functions.scaling holds. */
export interface ScalingColumn {
  idleTimeout?: string;
  schedules?: ScalingSchedule[];
}

export interface CapacitySettings {
  reservedConcurrency: number | null;
  provisionedConcurrency: number;
  keepWarm: KeepWarm | null;
  idleTimeout: string | null;
  scheduledScaling: ScalingSchedule[];
}

/** The settings as the API shows them. */
export function capacityOf(fn: Pick<FunctionRecord, "reservedConcurrency" | "provisionedConcurrency" | "keepWarm" | "scaling">): CapacitySettings {
  const scaling = (fn.scaling ?? {}) as ScalingColumn;
  return {
    reservedConcurrency: fn.reservedConcurrency ?? null,
    provisionedConcurrency: fn.provisionedConcurrency ?? 0,
    keepWarm: (fn.keepWarm as KeepWarm | null) ?? null,
    idleTimeout: scaling.idleTimeout ?? null,
    scheduledScaling: scaling.schedules ?? [],
  };
}

/** The spec fields the runners and the invoke path need: idle timeout (s) and the reserved cap. */
export function specCapacityFields(fn: Pick<FunctionRecord, "reservedConcurrency" | "scaling">): { idleTimeout?: number; reservedConcurrency?: number } {
  const out: { idleTimeout?: number; reservedConcurrency?: number } = {};
  const idle = (fn.scaling as ScalingColumn | null)?.idleTimeout;
  const ms = idle === undefined ? undefined : parseDuration(idle);
  if (ms !== undefined && ms > 0) out.idleTimeout = ms / 1000;
  if (fn.reservedConcurrency !== null && fn.reservedConcurrency !== undefined) out.reservedConcurrency = fn.reservedConcurrency;
  return out;
}

/** The highest minInstances of the schedules whose window contains `now`, else 0. */
export function scheduledMinimum(schedules: readonly ScalingSchedule[], now: Date): number {
  let min = 0;
  for (const s of schedules) {
    if (s.minInstances <= min) continue;
    const windowMs = parseDuration(s.duration);
    if (windowMs === undefined) continue;
    try {
      const c = new Cron(s.schedule, { paused: true, timezone: s.timezone });
      // A window is open when the last fire time at or before now is less than `duration` ago.
      const last = c.previousRuns(1, new Date(now.getTime() + 1))[0];
      if (last !== undefined && now.getTime() - last.getTime() < windowMs) min = s.minInstances;
    } catch {
      // Validated on write; a setting that no longer parses (e.g. a time zone removed) contributes nothing.
    }
  }
  return min;
}

/** The next fire time of a keep-warm schedule after `after`, or undefined. */
export function nextKeepWarm(kw: KeepWarm, after: Date): Date | undefined {
  try {
    return new Cron(kw.schedule, { paused: true, timezone: kw.timezone }).nextRun(after) ?? undefined;
  } catch {
    return undefined;
  }
}
