/**
 * Fires Scheduled triggers, exactly once per tick across every control-plane replica and across a
 * crash: only the holder of the `cron` leader lease looks for due ticks. Each tick has a request
 * id derived from the trigger and the tick (the idempotency key); it is first queued (its Queued
 * record and its event on the async queue, through the invocation pipeline, source = the trigger's
 * id), and only then is the trigger's last_fired_tick advanced by a compare-and-set from the value
 * the decision was made on. A leader that dies in between leaves last_fired_tick behind, so its
 * successor fires the same tick again under the same request id: the enqueue puts the event on the
 * queue again only while its record is still Queued (the dead leader may have written the record
 * and not the event), and the workers' take runs a request id once; the extra entry is counted as a
 * duplicate on the record. A deposed leader that has not noticed yet queues the same request id
 * (deduplicated) and loses the compare-and-set. So a leader change or a crash neither skips nor
 * doubles a tick (ticks due during the change fire late, within the misfire grace).
 */
import { ScheduledTriggerConfig } from "../../../protocol/api/triggers-scheduled.ts";
import { parseSchedule, type Schedule } from "../../../protocol/schedule-expression.ts";
import type { LeaderLease } from "../../../shared/lease/leader-lease.ts";
import type { Repositories } from "../db/repositories/index.ts";
import type { ScheduledTriggerRow } from "../db/repositories/triggers.ts";
import type { Invoker } from "../router/invoker.ts";
import { OwnedRecord } from "../async/owned-record.ts";
import { dueTicks } from "./due-ticks.ts";
import { scheduledEvent, tickRequestId } from "./scheduled-event.ts";

export interface ScheduleEngineOptions {
  repos: Pick<Repositories, "scheduledTicks" | "invocations">;
  invoker: Pick<Invoker, "enqueue">;
  /** The `cron` duty's lease. */
  lease: LeaderLease;
  intervalMs: number;
  misfireGraceMs: number;
  log: { warn(obj: object, msg: string): void };
}

interface Parsed {
  key: string;
  schedule: Schedule;
  config: ScheduledTriggerConfig;
}

export class ScheduleEngine {
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<void> | undefined;
  private readonly parsed = new Map<string, Parsed | string>();

  constructor(private readonly o: ScheduleEngineOptions) {}

  async start(): Promise<void> {
    await this.o.lease.start();
    this.timer = setInterval(() => void this.pass(), this.o.intervalMs);
    this.timer.unref();
  }

  /** Stop firing and hand the lease over (another replica continues at once). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.passing;
    await this.o.lease.stop();
  }

  /** One look for due ticks (when leader); passes never overlap. */
  pass(): Promise<void> {
    this.passing ??= this.fireDue()
      .catch((e) => this.o.log.warn({ err: e }, "schedule pass failed"))
      .finally(() => (this.passing = undefined));
    return this.passing;
  }

  private async fireDue(): Promise<void> {
    if (!this.o.lease.isLeader()) return;
    for (const row of await this.o.repos.scheduledTicks.listScheduledForFiring()) {
      if (!this.o.lease.isLeader()) return;
      await this.fireTrigger(row);
    }
  }

  private async fireTrigger(row: ScheduledTriggerRow): Promise<void> {
    const p = this.parse(row);
    if (typeof p === "string") return;
    const due = dueTicks({ schedule: p.schedule, lastFired: row.lastFiredTick, since: row.createdAt, now: new Date(), misfireGraceMs: this.o.misfireGraceMs, catchUp: p.config.catchUp });
    let prev = row.lastFiredTick;
    if (due.skipTo) {
      if (!(await this.o.repos.scheduledTicks.skipScheduledTicks(row.id, prev, due.skipTo))) return;
      prev = due.skipTo;
    }
    for (const tick of due.fire) {
      if (!this.o.lease.isLeader()) return;
      const requestId = tickRequestId(row.id, tick);
      const event = Buffer.from(JSON.stringify(scheduledEvent(row.id, tick, p.config.input)));
      try {
        await this.o.invoker.enqueue(row.functionName, row.qualifier, event, { requestId, source: row.id, resume: true });
      } catch (e) {
        await this.failTick(row, requestId, e);
      }
      if (!(await this.o.repos.scheduledTicks.fireScheduledTick({ triggerId: row.id, prev, tick }))) return; // another leader moved it: it continues from there
      prev = tick;
    }
  }

  /** The tick could not be queued (the function is gone...): its record and the trigger say why. */
  private async failTick(row: ScheduledTriggerRow, requestId: string, e: unknown): Promise<void> {
    const error = { errorType: (e as { code?: string }).code ?? "InternalError", errorMessage: String((e as Error).message ?? e).slice(0, 1000) };
    const now = new Date();
    await this.o.repos.invocations.createQueued({ requestId, functionName: row.functionName, qualifier: row.qualifier, source: row.id, createdAt: now });
    const taken = await this.o.repos.invocations.take(requestId, now, now);
    if (taken.kind === "taken") await new OwnedRecord(this.o.repos.invocations, taken.record).write({ status: "Failed", error, result: null, finishedAt: new Date() });
    await this.o.repos.scheduledTicks.recordTriggerOutcome(row.id, { failed: true, at: now, error: `${error.errorType}: ${error.errorMessage}` });
  }

  private parse(row: ScheduledTriggerRow): Parsed | string {
    const key = `${JSON.stringify(row.config)}|${row.createdAt.getTime()}`;
    const cached = this.parsed.get(row.id);
    if (cached !== undefined && (typeof cached === "string" ? cached === key : cached.key === key)) return cached;
    let result: Parsed | string = key;
    const c = ScheduledTriggerConfig.safeParse(row.config);
    if (!c.success) this.o.log.warn({ trigger: row.id, issues: c.error.issues.map((i) => i.message) }, "Scheduled trigger has an invalid config; it does not fire");
    else {
      // Rates tick from the trigger's creation, to the second (EventBridge's times are whole seconds).
      const anchor = new Date(Math.floor(row.createdAt.getTime() / 1000) * 1000);
      const schedule = parseSchedule(c.data.schedule, { timezone: c.data.timezone, anchor });
      if (typeof schedule !== "string") result = { key, schedule, config: c.data };
    }
    this.parsed.set(row.id, result);
    return result;
  }
}
