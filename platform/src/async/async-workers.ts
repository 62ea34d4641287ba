/**
 * The consumers of the async queue, on every control-plane replica: a consumer group reads the
 * stream, each event runs through the invocation pipeline as an internal entry (Invoker.invoke),
 * at most `concurrency` at once, with Lambda's retries (retry-policy.ts) and destinations, and the
 * stream entry is acked only once the outcome is recorded.
 *
 * Delivery is at least once, with the request id as the idempotency key:
 * - a worker takes the invocation record before running it (a compare-and-set: Queued, or Running
 *   and Retrying records whose owner stopped touching them for `staleAfterMs`), and touches it every
 *   third of that while it runs or waits for a retry, so one live worker owns an event at a time;
 * - entries of a dead replica stay pending and are claimed (claimStale) after `staleAfterMs`; the
 *   record tells the new owner how many attempts were made and when the next is due;
 * - a redelivered event whose record is already final is acked without running and counted in the
 *   record's `duplicates`.
 * Where a duplicate run can still happen, each counted in the record's `duplicates` and reported to
 * `onDuplicate` (the hotswap_async_duplicates_total counter):
 * - `taken-over`: a replica died (or stalled past `staleAfterMs`) while its event was Running, maybe
 *   after the handler ran and before the outcome was written; the event runs again elsewhere;
 * - `runner-lost`: the runner died during an attempt (RunnerLost), which is retried like any failure
 *   although the handler may have done its work;
 * - `redelivered`: an entry delivered again after its record was final (acked without running).
 * A destination can likewise receive a record twice if the replica dies between sending it and
 * recording the outcome.
 */
import { randomUUID } from "node:crypto";
import type { InvocationAttempt } from "../../../protocol/api/invocations.ts";
import { DEFAULT_MAXIMUM_EVENT_AGE_SECONDS, DEFAULT_MAXIMUM_RETRY_ATTEMPTS, type DestinationCondition, type EventInvokeConfig } from "../../../protocol/api/event-invoke-config.ts";
import type { StateStore, StreamEntry } from "../../../shared/state/state-store.ts";
import type { Repositories } from "../db/repositories/index.ts";
import type { InvokeResult, Invoker } from "../router/invoker.ts";
import { destinationRecord, type Destinations } from "./destinations.ts";
import { OwnedRecord } from "./owned-record.ts";
import { ASYNC_GROUP, decodeQueuedEvent, type QueuedEvent } from "./queued-event.ts";
import { afterFailure, eventAgeExceeded, failureOf, failureOfThrown, parseJson, truncate, type AttemptFailure, type RetryPolicy } from "./retry-policy.ts";

export interface AsyncWorkersOptions {
  state: StateStore;
  stream: string;
  repos: Pick<Repositories, "invocations" | "eventInvokeConfigs" | "scheduledTicks">;
  invoker: Pick<Invoker, "invoke">;
  destinations: Pick<Destinations, "send">;
  /** Unique per process. */
  consumer: string;
  concurrency: number;
  retryDelaysMs: readonly number[];
  staleAfterMs: number;
  log: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
  /** How long one blocking read waits for new entries. @default 500 */
  blockMs?: number;
  /** A possible duplicate run (see the module comment), already counted in the record. */
  onDuplicate?(reason: DuplicateReason): void;
}

export type DuplicateReason = "taken-over" | "runner-lost" | "redelivered";

/** What one processed entry came to (for tests and logs). */
export type EntryResult = "finished" | "duplicate" | "busy" | "lost" | "stopped" | "dropped";

export class AsyncWorkers {
  private readonly inflight = new Map<string, OwnedRecord | undefined>();
  private readonly policyLookups = new Map<string, Promise<EventInvokeConfig>>();
  private readonly tasks = new Set<Promise<unknown>>();
  private stopped = true;
  private loop: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly abort = new AbortController();
  private wake: (() => void) | undefined;

  constructor(private readonly o: AsyncWorkersOptions) {}

  async start(): Promise<void> {
    await this.o.state.createGroup(this.o.stream, ASYNC_GROUP, "0");
    this.stopped = false;
    this.loop = this.readLoop();
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void fn().catch((e) => this.o.log.warn({ err: e }, "async worker housekeeping failed")), ms);
      t.unref();
      this.timers.push(t);
    };
    every(Math.max(50, Math.floor(this.o.staleAfterMs / 3)), () => this.heartbeat());
    every(Math.max(50, Math.floor(this.o.staleAfterMs / 2)), () => this.claim());
  }

  /**
   * Stop reading, claiming and touching records at once; wait up to `graceMs` for events that are
   * running. Events still running or waiting for a retry are left pending (not acked): another
   * replica takes them over after staleAfterMs.
   */
  async stop(graceMs = 0): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.abort.abort();
    this.wake?.();
    await this.loop;
    const grace = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([Promise.allSettled([...this.tasks]), grace]);
  }

  /** Events this replica is working on (running or waiting for a retry). */
  get busy(): number {
    return this.inflight.size;
  }

  private async readLoop(): Promise<void> {
    while (!this.stopped) {
      const free = this.o.concurrency - this.inflight.size;
      if (free <= 0) {
        await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      let entries: StreamEntry[];
      try {
        entries = await this.o.state.readGroup(this.o.stream, ASYNC_GROUP, this.o.consumer, { count: free, blockMs: this.o.blockMs ?? 500 });
      } catch (e) {
        if (this.stopped) return;
        this.o.log.warn({ err: e }, "reading the async queue failed; retrying");
        await sleep(500, this.abort.signal);
        continue;
      }
      for (const e of entries) this.dispatch(e);
    }
  }

  /** Take over entries a dead (or stalled) consumer left pending. */
  private async claim(): Promise<void> {
    const free = this.o.concurrency - this.inflight.size;
    if (this.stopped || free <= 0) return;
    const entries = await this.o.state.claimStale(this.o.stream, ASYNC_GROUP, this.o.consumer, this.o.staleAfterMs, free);
    for (const e of entries) if (!this.inflight.has(e.id)) this.dispatch(e);
  }

  private async heartbeat(): Promise<void> {
    await Promise.all([...this.inflight.values()].map((r) => r?.write({})));
  }

  private dispatch(entry: StreamEntry): void {
    this.inflight.set(entry.id, undefined);
    const task = this.process(entry)
      .catch((e) => {
        this.o.log.warn({ err: e, entry: entry.id }, "an async event failed to process; it stays pending and is retried");
        return "busy" as const;
      })
      .finally(() => {
        this.inflight.delete(entry.id);
        this.tasks.delete(task);
        this.wake?.();
        this.wake = undefined;
      });
    this.tasks.add(task);
  }

  /** Process one entry: take its record, run it to a final outcome, record it, ack. */
  async process(entry: StreamEntry): Promise<EntryResult> {
    const ev = decodeQueuedEvent(entry.fields);
    if (!ev) {
      this.o.log.warn({ entry: entry.id }, "dropping an async queue entry that is not an event");
      await this.ack(entry);
      return "dropped";
    }
    const now = new Date();
    let taken = await this.o.repos.invocations.take(ev.requestId, now, new Date(now.getTime() - this.o.staleAfterMs));
    if (taken.kind === "missing") {
      // Queued whose record write was undone (the enqueue saw an error after all): recreate it.
      await this.o.repos.invocations.createQueued({ requestId: ev.requestId, functionName: ev.functionName, qualifier: ev.qualifier, source: ev.source, createdAt: new Date(ev.enqueuedAt) });
      taken = await this.o.repos.invocations.take(ev.requestId, now, new Date(now.getTime() - this.o.staleAfterMs));
    }
    if (taken.kind === "final") {
      await this.o.repos.invocations.countDuplicate(ev.requestId);
      this.o.onDuplicate?.("redelivered");
      await this.ack(entry);
      return "duplicate";
    }
    if (taken.kind !== "taken") return "busy"; // another live worker owns it: leave it pending
    // Running and started before this take: a dead owner's attempt (take counted it in the record).
    if (taken.record.status === "Running" && taken.record.startedAt?.getTime() !== now.getTime()) this.o.onDuplicate?.("taken-over");
    const owned = new OwnedRecord(this.o.repos.invocations, taken.record);
    this.inflight.set(entry.id, owned);
    const result = await this.run(ev, owned);
    if (result === "finished") await this.ack(entry);
    return result;
  }

  private async run(ev: QueuedEvent, owned: OwnedRecord): Promise<EntryResult> {
    const config = await this.policyOf(ev.functionName);
    const policy: RetryPolicy = { ...config, retryDelaysMs: this.o.retryDelaysMs };
    const payload = Buffer.from(ev.payload);
    for (;;) {
      const attempts = owned.record.attempts;
      const due = attempts.at(-1)?.retryAt;
      if (due !== undefined) {
        const wait = Date.parse(due) - Date.now();
        if (wait > 0 && !(await sleep(wait, this.abort.signal))) return "stopped";
      }
      if (this.stopped) return "stopped";
      if (eventAgeExceeded(policy, ev.enqueuedAt, Date.now())) return this.finish(ev, owned, config, "EventAgeExceeded", undefined, undefined);
      // take() already made a Queued record Running (one write less per event); a retry marks it again.
      if (owned.record.status !== "Running" && !(await owned.write({ status: "Running" }))) return "lost";
      const at = new Date();
      let result: InvokeResult | undefined;
      let failure: AttemptFailure | undefined;
      try {
        result = await this.o.invoker.invoke(ev.functionName, ev.qualifier, payload, { requestId: ev.requestId, traceparent: ev.traceparent, clientContext: ev.clientContext });
        failure = failureOf(result.outcome);
      } catch (e) {
        failure = failureOfThrown(e);
      }
      if (owned.lost) return "lost";
      const attempt: InvocationAttempt = { at: at.toISOString(), durationMs: Date.now() - at.getTime(), counted: failure?.counted ?? true };
      if (result) attempt.version = result.spec.version;
      if (failure) attempt.error = failure.error;
      if (!failure) return this.finish(ev, owned, config, "Success", [...attempts, attempt], result);
      const next = afterFailure([...attempts, attempt], failure, policy, ev.enqueuedAt, Date.now());
      if (next.kind === "finish") return this.finish(ev, owned, config, next.condition, [...attempts, attempt], result, failure);
      attempt.retryAt = new Date(next.at).toISOString();
      if (failure.error.errorType === "RunnerLost") {
        // The runner died mid-attempt: the handler may have done its work, and runs again.
        await this.o.repos.invocations.countDuplicate(ev.requestId);
        this.o.onDuplicate?.("runner-lost");
      }
      const version = result?.spec.version;
      if (!(await owned.write({ status: "Retrying", attempts: [...attempts, attempt], error: failure.error, ...(version !== undefined ? { version } : {}) }))) return "lost";
    }
  }

  /** Send the destination record (if configured), write the final status, count it on the trigger. */
  private async finish(
    ev: QueuedEvent,
    owned: OwnedRecord,
    config: EventInvokeConfig,
    condition: DestinationCondition,
    attempts: InvocationAttempt[] | undefined,
    result: InvokeResult | undefined,
    failure?: AttemptFailure,
  ): Promise<EntryResult> {
    const all = attempts ?? owned.record.attempts;
    const success = condition === "Success";
    const destination = success ? config.destinationConfig.onSuccess?.destination : config.destinationConfig.onFailure?.destination;
    let sentTo: string | null = null;
    if (destination) {
      const version = result?.spec.version ?? owned.record.version ?? undefined;
      const ran = all.some((a) => a.counted);
      const record = destinationRecord({
        requestId: ev.requestId,
        functionName: ev.functionName,
        qualifier: ev.qualifier,
        condition,
        approximateInvokeCount: all.filter((a) => a.counted).length,
        requestPayload: ev.payload,
        response:
          success && result
            ? { statusCode: 200, executedVersion: String(result.spec.version), payload: parseOrText(result.outcome) }
            : ran && failure
              ? { statusCode: failure.statusCode, executedVersion: version !== undefined ? String(version) : "$LATEST", functionError: failure.functionError, payload: failure.responsePayload ?? failure.error }
              : undefined,
      });
      try {
        await this.o.destinations.send(destination, record);
        sentTo = destination;
      } catch (e) {
        this.o.log.warn({ err: e, requestId: ev.requestId, destination }, "could not deliver the destination record");
      }
    }
    const lastError = failure?.error ?? (condition === "EventAgeExceeded" ? { errorType: "EventAgeExceeded", errorMessage: `The event was older than maximumEventAgeInSeconds (${config.maximumEventAgeInSeconds} s) before it could run again.` } : undefined);
    const status = success ? "Succeeded" : sentTo && !success ? "DeadLettered" : "Failed";
    const wrote = await owned.write({
      status,
      attempts: all,
      ...(result ? { version: result.spec.version } : {}),
      result: success && result ? truncate(result.outcome.kind === "platform-error" ? "" : result.outcome.payload.toString("utf8")) : null,
      error: success ? null : (lastError ?? null),
      destination: sentTo,
      finishedAt: new Date(),
    });
    if (!wrote) return "lost";
    if (ev.source !== "async") {
      const error = success ? undefined : `${lastError?.errorType ?? "Error"}: ${lastError?.errorMessage ?? ""}`.slice(0, 1000);
      await this.o.repos.scheduledTicks.recordTriggerOutcome(ev.source, { failed: !success, at: new Date(), error }).catch((e) => this.o.log.warn({ err: e }, "could not update trigger statistics"));
    }
    return "finished";
  }

  /**
   * The function's retry and destination settings. Workers that ask for the same function while a
   * lookup is in flight share it (one query, not one per event: on the embedded PGlite every
   * statement blocks the event loop the 202s are served on); nothing is kept once it answers, so a
   * change applies to every event that starts after it.
   */
  private policyOf(functionName: string): Promise<EventInvokeConfig> {
    let lookup = this.policyLookups.get(functionName);
    if (!lookup) {
      lookup = this.lookUpPolicy(functionName).finally(() => this.policyLookups.delete(functionName));
      this.policyLookups.set(functionName, lookup);
    }
    return lookup;
  }

  private async lookUpPolicy(functionName: string): Promise<EventInvokeConfig> {
    const found = await this.o.repos.eventInvokeConfigs.get(functionName);
    const c = found.found ? found.config : undefined;
    return {
      maximumRetryAttempts: c?.maximumRetryAttempts ?? DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
      maximumEventAgeInSeconds: c?.maximumEventAgeInSeconds ?? DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
      destinationConfig: c?.destinationConfig ?? {},
    };
  }

  private async ack(entry: StreamEntry): Promise<void> {
    await this.o.state.ack(this.o.stream, ASYNC_GROUP, [entry.id]);
  }
}

/** A new consumer name for this process. */
export function consumerName(host: string): string {
  return `${host}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

function parseOrText(outcome: InvokeResult["outcome"]): unknown {
  return outcome.kind === "platform-error" ? null : parseJson(outcome.payload.toString("utf8"));
}

/** Resolves true after `ms`, false at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
