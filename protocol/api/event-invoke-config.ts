/**
 * Wire schemas of /api/v1/functions/{name}/event-invoke-config: Lambda's FunctionEventInvokeConfig
 * for asynchronous invocations, in the API's camelCase (Lambda's PutFunctionEventInvokeConfig
 * spells the same fields in PascalCase): retries, the maximum event age, and where a finished event
 * goes (`function:<name>[:qualifier]`, an ARN `arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`,
 * or `queue:<stream>`, a state-store stream). Also the destination record Lambda sends there.
 */
import { z } from "@hono/zod-openapi";
import { FUNCTION_NAME_PATTERN } from "../limits.ts";

export const DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 21600;
export const MIN_MAXIMUM_EVENT_AGE_SECONDS = 60;

const QUEUE_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;
const QUALIFIER = /^(\$LATEST|[0-9]{1,10}|(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128})$/;

/** A parsed destination: a function to invoke asynchronously, or a stream to append the record to. */
export type DestinationTarget = { kind: "function"; name: string; qualifier?: string } | { kind: "queue"; stream: string };

/** Parses a destination string; a sentence saying what is wrong when it is not one. */
export function parseDestination(text: string): DestinationTarget | string {
  if (text.startsWith("queue:")) {
    const stream = text.slice("queue:".length);
    return QUEUE_NAME.test(stream) ? { kind: "queue", stream } : `queue destination "${text.slice(0, 80)}" must be queue:<name>, the name 1-200 of letters, digits, '_', '.', ':' or '-'`;
  }
  let rest: string | undefined;
  if (text.startsWith("function:")) rest = text.slice("function:".length);
  else {
    const arn = /^arn:aws:lambda:[a-z0-9-]*:[0-9]*:function:(.+)$/.exec(text);
    if (arn) rest = arn[1];
  }
  if (rest === undefined) return `destination "${text.slice(0, 80)}" must be function:<name>[:qualifier], arn:aws:lambda:<region>:<account>:function:<name>[:qualifier] or queue:<name>`;
  const [name, qualifier, extra] = rest.split(":");
  if (extra !== undefined || !FUNCTION_NAME_PATTERN.test(name!)) return `destination "${text.slice(0, 80)}" names no valid function: the name must be 1-64 of letters, digits, '-' or '_', optionally followed by :<version or alias>`;
  if (qualifier !== undefined && !QUALIFIER.test(qualifier)) return `destination "${text.slice(0, 80)}" has an invalid qualifier: use a version number, an alias or $LATEST`;
  return qualifier === undefined ? { kind: "function", name: name! } : { kind: "function", name: name!, qualifier };
}

const Destination = z
  .object({
    destination: z
      .string()
      .superRefine((v, ctx) => {
        const d = parseDestination(v);
        if (typeof d === "string") ctx.addIssue({ code: "custom", message: d });
      })
      .openapi({ example: "function:on-failure" }),
  })
  .strict();

export const DestinationConfig = z
  .object({ onSuccess: Destination.optional(), onFailure: Destination.optional() })
  .strict()
  .openapi("DestinationConfig");
export type DestinationConfig = z.infer<typeof DestinationConfig>;

export const PutEventInvokeConfigBody = z
  .object({
    maximumRetryAttempts: z.number().int().min(0, "must be 0, 1 or 2").max(2, "must be 0, 1 or 2 (as in Lambda)").optional().openapi({ example: 2 }),
    maximumEventAgeInSeconds: z
      .number()
      .int()
      .min(MIN_MAXIMUM_EVENT_AGE_SECONDS, `must be at least ${MIN_MAXIMUM_EVENT_AGE_SECONDS} seconds (as in Lambda)`)
      .max(DEFAULT_MAXIMUM_EVENT_AGE_SECONDS, `must be at most ${DEFAULT_MAXIMUM_EVENT_AGE_SECONDS} seconds (6 hours, as in Lambda)`)
      .optional()
      .openapi({ example: 3600 }),
    destinationConfig: DestinationConfig.optional(),
  })
  .strict()
  .openapi("PutEventInvokeConfig");
export type PutEventInvokeConfigBody = z.infer<typeof PutEventInvokeConfigBody>;

/** The stored (and answered) config: every field filled in. */
export const EventInvokeConfig = z.object({
  maximumRetryAttempts: z.number().int(),
  maximumEventAgeInSeconds: z.number().int(),
  destinationConfig: z.object({ onSuccess: z.object({ destination: z.string() }).optional(), onFailure: z.object({ destination: z.string() }).optional() }),
});
export type EventInvokeConfig = z.infer<typeof EventInvokeConfig>;

export const EventInvokeConfigView = EventInvokeConfig.extend({
  functionName: z.string(),
  lastModified: z.string(),
}).openapi("EventInvokeConfig");
export type EventInvokeConfigView = z.infer<typeof EventInvokeConfigView>;

/** A PUT body with Lambda's defaults filled in (PUT replaces the whole config, as Lambda's does). */
export function withDefaults(body: PutEventInvokeConfigBody): EventInvokeConfig {
  return {
    maximumRetryAttempts: body.maximumRetryAttempts ?? DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
    maximumEventAgeInSeconds: body.maximumEventAgeInSeconds ?? DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
    destinationConfig: body.destinationConfig ?? {},
  };
}

export const DestinationCondition = z.enum(["Success", "RetriesExhausted", "EventAgeExceeded"]);
export type DestinationCondition = z.infer<typeof DestinationCondition>;

/** Lambda's destination record: what an on-success or on-failure destination receives. */
export const DestinationRecord = z.object({
  version: z.literal("1.0"),
  timestamp: z.string(),
  requestContext: z.object({
    requestId: z.string(),
    functionArn: z.string(),
    condition: DestinationCondition,
    approximateInvokeCount: z.number().int(),
  }),
  requestPayload: z.unknown(),
  /** Absent when the function never ran (the event expired first). */
  responseContext: z
    .object({
      statusCode: z.number().int(),
      executedVersion: z.string(),
      functionError: z.string().optional(),
    })
    .optional(),
  responsePayload: z.unknown().optional(),
});
export type DestinationRecord = z.infer<typeof DestinationRecord>;
