/**
 * Wire schemas of the invocation records: GET /api/v1/invocations/{requestId} and
 * GET /api/v1/functions/{name}/invocations. One record per asynchronous or trigger-driven
 * invocation (the request id is its idempotency key): its status, each attempt with its error, the
 * source (`async` or the trigger's id), timings, and the result or error truncated to
 * MAX_RECORDED_RESULT_BYTES.
 */
import { z } from "@hono/zod-openapi";

/** Lambda's limit on an asynchronous event (the synchronous one is 6 MB). */
export const MAX_ASYNC_PAYLOAD_BYTES = 256 * 1024;
/** Results and error messages are kept up to this many bytes (UTF-8) in a record; longer ones end with "…[truncated]". */
export const MAX_RECORDED_RESULT_BYTES = 4096;

/** A request id as the API hands them out (and as callers may give them in x-request-id). */
export const RequestIdText = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "must be a request id: 1-128 of letters, digits, '.', '_', ':' or '-'");

export const InvocationStatus = z.enum(["Queued", "Running", "Retrying", "Succeeded", "Failed", "DeadLettered"]);
export type InvocationStatus = z.infer<typeof InvocationStatus>;
export const FINAL_STATUSES: readonly InvocationStatus[] = ["Succeeded", "Failed", "DeadLettered"];

export const InvocationError = z.object({ errorType: z.string(), errorMessage: z.string() }).openapi("InvocationError");
export type InvocationError = z.infer<typeof InvocationError>;

export const InvocationAttempt = z
  .object({
    /** When the attempt started (ISO 8601). */
    at: z.string(),
    durationMs: z.number().optional(),
    /** The version that ran. */
    version: z.number().int().optional(),
    error: InvocationError.optional(),
    /** False for a throttle or a platform refusal before delivery: retried without consuming an attempt. */
    counted: z.boolean(),
    /** When the next attempt is due, for an attempt that will be retried. */
    retryAt: z.string().optional(),
  })
  .openapi("InvocationAttempt");
export type InvocationAttempt = z.infer<typeof InvocationAttempt>;

export const InvocationView = z
  .object({
    requestId: z.string(),
    functionName: z.string(),
    qualifier: z.string().nullable(),
    version: z.number().int().nullable(),
    source: z.string().openapi({ description: "`async`, or the id of the trigger that delivered the event" }),
    status: InvocationStatus,
    attempts: z.array(InvocationAttempt),
    result: z.string().nullable().openapi({ description: `The handler's result, truncated to ${MAX_RECORDED_RESULT_BYTES} bytes` }),
    error: InvocationError.nullable(),
    destination: z.string().nullable(),
    duplicates: z.number().int().openapi({
      description:
        "At-least-once duplicates: the request id queued again or delivered again after it finished (not run again), and possible repeated runs around a crash (taken over from a dead replica while Running; an attempt lost with its runner)",
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi("Invocation");
export type InvocationView = z.infer<typeof InvocationView>;

export const InvocationList = z
  .object({ invocations: z.array(InvocationView), nextCursor: z.string().optional() })
  .openapi("InvocationList");
export type InvocationList = z.infer<typeof InvocationList>;

export const ListInvocationsQuery = z.object({
  status: InvocationStatus.optional(),
  source: RequestIdText.optional().openapi({ description: "`async` or a trigger id" }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,300}$/, "must be the nextCursor of a previous page").optional().openapi({ description: "nextCursor of the previous page" }),
});
export type ListInvocationsQuery = z.infer<typeof ListInvocationsQuery>;

/** The answer to an asynchronous invoke on HotSwap's path (202). */
export const AsyncInvokeAccepted = z.object({ requestId: z.string(), status: z.literal("Queued") }).openapi("AsyncInvokeAccepted");
export type AsyncInvokeAccepted = z.infer<typeof AsyncInvokeAccepted>;
