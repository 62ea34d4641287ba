/**
 * How a Queue trigger's batch runs: as a trigger-driven invocation through the one invocation
 * pipeline (Invoker.invoke: qualifier resolution, reserved concurrency, metrics, usage, function
 * logs, traces), with an invocation record whose source is the trigger's id (Running, then
 * Succeeded or Failed with the attempt, the result or the error) and the outcome counted on the
 * trigger's statistics. A batch's retries are new deliveries by the broker, so each attempt is its
 * own record (while it runs it reads Queued).
 */
import { randomUUID } from "node:crypto";
import type { InvocationsRepository } from "../../db/repositories/invocations.ts";
import type { Invoker, InvokeResult } from "../../router/invoker.ts";
import { failureOf, failureOfThrown, truncate, type AttemptFailure } from "../../async/retry-policy.ts";
import type { TriggerStats } from "../trigger-stats.ts";
import type { BatchOutcome, QueueTriggerRef } from "./queue-consumer.ts";

export interface BatchInvocationDeps {
  invoker: Pick<Invoker, "invoke">;
  invocations: InvocationsRepository;
  stats: Pick<TriggerStats, "record">;
  log: { warn(obj: object, msg: string): void };
}

/**
 * Runs one batch event; never rejects (a failure to record is logged, the outcome still counts).
 * The broker, not the record, is what makes the batch durable, so the Queued record is inserted
 * while the function runs and the outcome written once it is known: two statements per batch,
 * neither in the batch's path.
 */
export function batchInvoker(d: BatchInvocationDeps): (trigger: QueueTriggerRef, event: Buffer) => Promise<BatchOutcome> {
  return async (trigger, event) => {
    const requestId = randomUUID();
    const at = new Date();
    const recorded = d.invocations.createQueued({ requestId, functionName: trigger.functionName, qualifier: trigger.qualifier, source: trigger.id, createdAt: at }).catch((e) => {
      d.log.warn({ err: e, trigger: trigger.id, requestId }, "could not write the queue batch's invocation record; running it anyway");
      return false;
    });
    let result: InvokeResult | undefined;
    let failure: AttemptFailure | undefined;
    try {
      result = await d.invoker.invoke(trigger.functionName, trigger.qualifier, event, { requestId });
      failure = failureOf(result.outcome);
    } catch (e) {
      failure = failureOfThrown(e);
    }
    const finishedAt = new Date();
    const answer = result && result.outcome.kind !== "platform-error" ? result.outcome.payload.toString("utf8") : "";
    const error = failure ? `${failure.error.errorType}: ${failure.error.errorMessage}` : undefined;
    d.stats.record(trigger.id, error, at);
    if (await recorded) {
      // The record still carries its first stamp (createdAt): nobody else owns a trigger's batch record.
      await d.invocations
        .update(requestId, at, new Date(Math.max(finishedAt.getTime(), at.getTime() + 1)), {
          status: failure ? "Failed" : "Succeeded",
          startedAt: at,
          attempts: [{ at: at.toISOString(), durationMs: finishedAt.getTime() - at.getTime(), counted: failure?.counted ?? true, ...(result ? { version: result.spec.version } : {}), ...(failure ? { error: failure.error } : {}) }],
          ...(result ? { version: result.spec.version } : {}),
          result: failure ? null : truncate(answer),
          error: failure?.error ?? null,
          finishedAt,
        })
        .catch((e) => d.log.warn({ err: e, requestId }, "could not finish the queue batch's invocation record"));
    }
    return failure ? { ok: false, error: error! } : { ok: true, answer };
  };
}
