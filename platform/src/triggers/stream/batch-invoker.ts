/**
 * Runs one attempt at a Stream trigger's batch: the Kinesis-like event goes through the platform's
 * invocation pipeline (Invoker.invoke, so routing, concurrency, usage, metrics and logs apply), as a
 * trigger-driven invocation with a record of its own (source = the trigger's id; Running, then
 * Succeeded or Failed with the attempt), counted in the trigger's statistics. The function's answer
 * is read for `{batchItemFailures: [{itemIdentifier}]}`: an identifier that is not a sequence number
 * of the batch (or an empty one) fails the whole batch, as Lambda does.
 */
import { randomUUID } from "node:crypto";
import type { InvocationAttempt } from "../../../../protocol/api/invocations.ts";
import type { Repositories } from "../../db/repositories/index.ts";
import type { InvokeResult, Invoker } from "../../router/invoker.ts";
import { OwnedRecord } from "../../async/owned-record.ts";
import { failureOf, failureOfThrown, parseJson, truncate, type AttemptFailure } from "../../async/retry-policy.ts";
import type { TriggerStats } from "../trigger-stats.ts";
import { kinesisEvent, type StreamOrigin, type StreamRecord } from "./kinesis-event.ts";
import type { AttemptContext, BatchOutcome } from "./window-processor.ts";

export interface StreamTarget {
  triggerId: string;
  functionName: string;
  qualifier: string;
}

export interface BatchInvokerDeps {
  repos: Pick<Repositories, "invocations">;
  invoker: Pick<Invoker, "invoke">;
  stats: Pick<TriggerStats, "record">;
}

export async function invokeBatch(deps: BatchInvokerDeps, target: StreamTarget, origin: StreamOrigin, batch: readonly StreamRecord[]): Promise<BatchOutcome> {
  const requestId = randomUUID();
  const at = new Date();
  await deps.repos.invocations.createQueued({ requestId, functionName: target.functionName, qualifier: target.qualifier, source: target.triggerId, createdAt: at });
  const taken = await deps.repos.invocations.take(requestId, at, at);
  const owned = taken.kind === "taken" ? new OwnedRecord(deps.repos.invocations, taken.record) : undefined;
  let result: InvokeResult | undefined;
  let failure: AttemptFailure | undefined;
  try {
    result = await deps.invoker.invoke(target.functionName, target.qualifier, Buffer.from(JSON.stringify(kinesisEvent(origin, batch))), { requestId });
    failure = failureOf(result.outcome);
  } catch (e) {
    failure = failureOfThrown(e);
  }
  const answer = result && !failure ? (result.outcome as { payload: Buffer }).payload.toString("utf8") : undefined;
  const partial = answer !== undefined ? firstFailedItem(answer, batch) : undefined;
  const attempt: InvocationAttempt = { at: at.toISOString(), durationMs: Date.now() - at.getTime(), counted: failure?.counted ?? true };
  if (result) attempt.version = result.spec.version;
  if (failure) attempt.error = failure.error;
  const partialError = partial !== undefined ? { errorType: "BatchItemFailures", errorMessage: `The function reported failed records, the first being ${partial}` } : undefined;
  await owned?.write({
    status: failure || partial !== undefined ? "Failed" : "Succeeded",
    attempts: [attempt],
    ...(result ? { version: result.spec.version } : {}),
    result: answer !== undefined ? truncate(answer) : null,
    error: failure?.error ?? partialError ?? null,
    finishedAt: new Date(),
  });
  const error = failure?.error ?? partialError;
  deps.stats.record(target.triggerId, error ? `${error.errorType}: ${error.errorMessage}` : undefined, at);
  const context: AttemptContext = {
    requestId,
    statusCode: failure?.statusCode ?? 200,
    ...(result ? { executedVersion: String(result.spec.version) } : {}),
    ...(failure?.functionError ? { functionError: failure.functionError } : {}),
  };
  if (failure) return { kind: "failure", counted: failure.counted, attempt: context };
  if (partial === null) return { kind: "failure", counted: true, attempt: context };
  if (partial !== undefined) return { kind: "partial", failedSequenceNumber: partial, attempt: context };
  return { kind: "success" };
}

/**
 * The first record the answer reports as failed (in batch order); undefined when it reports none,
 * null when it names something that is not a record of the batch (the whole batch failed).
 */
export function firstFailedItem(answer: string, batch: readonly StreamRecord[]): string | null | undefined {
  const doc = parseJson(answer) as { batchItemFailures?: unknown } | null;
  if (doc === null || typeof doc !== "object" || !Array.isArray(doc.batchItemFailures) || doc.batchItemFailures.length === 0) return undefined;
  let first = -1;
  for (const item of doc.batchItemFailures) {
    const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const at = typeof id === "string" || typeof id === "number" ? batch.findIndex((r) => r.sequenceNumber === String(id)) : -1;
    if (at === -1) return null;
    if (first === -1 || at < first) first = at;
  }
  return batch[first]!.sequenceNumber;
}
