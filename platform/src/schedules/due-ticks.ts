/**
 * Which ticks of a schedule are due, as a pure decision: every tick after the last one fired and
 * not later than now, in order. Ticks older than the misfire grace were missed (no replica could
 * fire them: an outage, every replica down) and are skipped unless the trigger asks for catch-up;
 * ticks within the grace are fired late, so a leader change (a few seconds) loses none.
 */
import type { Schedule } from "../../../protocol/schedule-expression.ts";

export interface DueTicks {
  /** Advance last_fired_tick to here without firing (the missed ticks before it are skipped). */
  skipTo?: Date;
  /** Ticks to fire, oldest first. */
  fire: Date[];
}

export interface DueTicksInput {
  schedule: Schedule;
  /** The last tick fired or skipped; null before the first. */
  lastFired: Date | null;
  /** Where the first tick is looked for (the trigger's creation). */
  since: Date;
  now: Date;
  misfireGraceMs: number;
  catchUp: boolean;
  /** At most this many ticks per decision (a long catch-up proceeds over several passes). @default 100 */
  limit?: number;
}

export function dueTicks(i: DueTicksInput): DueTicks {
  const limit = i.limit ?? 100;
  let from = i.lastFired ?? i.since;
  const out: DueTicks = { fire: [] };
  const cutoff = new Date(i.now.getTime() - i.misfireGraceMs);
  let t = i.schedule.next(from);
  if (!i.catchUp && t !== null && t < cutoff) {
    // Missed: skip to the cutoff without walking every missed tick (a seconds cron down for a day).
    out.skipTo = cutoff;
    from = cutoff;
    t = i.schedule.next(from);
  }
  while (t !== null && t <= i.now && out.fire.length < limit) {
    out.fire.push(t);
    t = i.schedule.next(t);
  }
  return out;
}
