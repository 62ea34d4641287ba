/**
 * Wire schemas of /api/v1/triggers: the four trigger types and the config each one takes (Http
 * routes with their auth, CORS and body limit; Scheduled in triggers-scheduled.ts; Queue and Stream
 * event source mappings), the create and update bodies, the trigger view with its execution
 * statistics, and the route-path grammar the HTTP gateway matches (`/orders/{id}`, `/files/{proxy+}`).
 */
import { z } from "@hono/zod-openapi";
import { MAX_SYNC_PAYLOAD_BYTES } from "../limits.ts";
import { FunctionName } from "./functions.ts";
import { ScheduledTriggerConfig } from "./triggers-scheduled.ts";

export const TRIGGER_TYPES = ["Http", "Scheduled", "Queue", "Stream"] as const;
export const TriggerType = z.enum(TRIGGER_TYPES).openapi({ example: "Http" });
export type TriggerType = z.infer<typeof TriggerType>;

// ---------------------------------------------------------------------------------------------
// Http
// ---------------------------------------------------------------------------------------------

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
/** The largest request body a route may accept (and its default): the synchronous event limit. */
export const MAX_ROUTE_BODY_BYTES = MAX_SYNC_PAYLOAD_BYTES;

/** One segment of a route path. */
export type RouteSegment = { kind: "literal"; value: string } | { kind: "param"; name: string } | { kind: "proxy"; name: string };

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_-]{0,63})(\+?)\}$/;
const LITERAL = /^[A-Za-z0-9._~!$&'()*,;=:@-]+$/;

/**
 * The segments of a route path, or an Error saying what is wrong: the path starts with `/`, has
 * no empty segment or trailing slash (except `/` itself), a parameter is a whole segment
 * `{name}`, names are unique, and a greedy `{name+}` may only be the last segment.
 */
export function parseRoutePath(path: string): RouteSegment[] {
  if (!path.startsWith("/")) throw new Error(`must start with "/" (e.g. "/orders/{id}")`);
  if (path === "/") return [];
  const parts = path.slice(1).split("/");
  const seen = new Set<string>();
  return parts.map((part, i): RouteSegment => {
    if (part === "") throw new Error(i === parts.length - 1 ? "must not end with \"/\"" : "must not contain an empty segment (\"//\")");
    const m = PARAM.exec(part);
    if (m) {
      const name = m[1]!;
      if (seen.has(name)) throw new Error(`names parameter {${name}} twice`);
      seen.add(name);
      if (m[2] === "+") {
        if (i !== parts.length - 1) throw new Error(`has the greedy parameter {${name}+} before the last segment; it may only end the path`);
        return { kind: "proxy", name };
      }
      return { kind: "param", name };
    }
    if (part.includes("{") || part.includes("}")) throw new Error(`segment "${part}" mixes text and a parameter; a parameter is a whole segment such as {id}`);
    if (!LITERAL.test(part)) throw new Error(`segment "${part}" has characters a path segment cannot have`);
    return { kind: "literal", value: part };
  });
}

/** The path with parameter names erased: two routes with the same shape claim the same requests. */
export function routeShape(path: string): string {
  return "/" + parseRoutePath(path).map((s) => (s.kind === "literal" ? s.value : s.kind === "param" ? "{}" : "{+}")).join("/");
}

export const HttpCors = z
  .object({
    allowOrigins: z.array(z.string().min(1).max(512)).max(100).default([]).openapi({ example: ["https://app.example.com"] }),
    allowMethods: z.array(z.string().regex(/^([A-Z]+|\*)$/, "must be an upper-case method name or *")).max(20).default([]),
    allowHeaders: z.array(z.string().min(1).max(256)).max(100).default([]),
    exposeHeaders: z.array(z.string().min(1).max(256)).max(100).default([]),
    maxAge: z.number().int().min(0).max(86_400).optional().openapi({ description: "Seconds a browser may cache the preflight answer" }),
    allowCredentials: z.boolean().default(false),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.allowCredentials && c.allowOrigins.includes("*")) {
      ctx.addIssue({ code: "custom", path: ["allowOrigins"], message: 'cannot be "*" when allowCredentials is true; list the origins' });
    }
  })
  .openapi("HttpCors");
export type HttpCors = z.infer<typeof HttpCors>;

export const HttpTriggerConfig = z
  .object({
    methods: z
      .array(z.enum([...HTTP_METHODS, "ANY"]))
      .min(1, 'must name at least one method, or ["ANY"]')
      .max(8)
      .superRefine((ms, ctx) => {
        if (new Set(ms).size !== ms.length) ctx.addIssue({ code: "custom", message: "must not repeat a method" });
        if (ms.includes("ANY") && ms.length > 1) ctx.addIssue({ code: "custom", message: '"ANY" already covers every method; use ["ANY"] alone' });
      })
      .openapi({ example: ["GET"] }),
    path: z
      .string()
      .max(1024)
      .superRefine((p, ctx) => {
        try {
          parseRoutePath(p);
        } catch (e) {
          ctx.addIssue({ code: "custom", message: (e as Error).message });
        }
      })
      .openapi({ example: "/orders/{id}" }),
    auth: z.enum(["none", "key", "jwt"]).default("key").openapi({ description: "none: public; key: an API key (or token) with functions:invoke; jwt: any JWT valid under the server's HOTSWAP_JWT_* settings, its claims passed to the function in requestContext.authorizer.jwt" }),
    cors: HttpCors.optional(),
    maxBodyBytes: z.number().int().min(0).max(MAX_ROUTE_BODY_BYTES, `must be at most ${MAX_ROUTE_BODY_BYTES} (6 MB)`).default(MAX_ROUTE_BODY_BYTES),
  })
  .strict()
  .openapi("HttpTriggerConfig");
export type HttpTriggerConfig = z.infer<typeof HttpTriggerConfig>;

// ---------------------------------------------------------------------------------------------
// Queue (validated; its consumers are not built yet) and Stream (platform/src/triggers/stream/)
// ---------------------------------------------------------------------------------------------

const Name = z.string().min(1).max(256);
const Destination = z.object({ stream: Name.optional(), queue: Name.optional(), subject: Name.optional() }).strict();

/** Which field names the source's queue, per source: a Redis stream, a RabbitMQ queue, a JetStream stream. */
const QUEUE_FIELD = { redis: "stream", rabbitmq: "queue", nats: "stream" } as const;

export const QueueTriggerConfig = z
  .object({
    source: z.enum(["redis", "rabbitmq", "nats"]),
    stream: Name.optional(),
    queue: Name.optional(),
    subject: Name.optional(),
    group: Name.optional().openapi({ description: "Consumer group (Redis) or durable consumer (NATS)" }),
    batchSize: z.number().int().min(1).max(10_000).default(10),
    maximumBatchingWindowInSeconds: z.number().int().min(0).max(300).default(0),
    maxConcurrency: z.number().int().min(1).max(1000).default(2),
    maxReceiveCount: z.number().int().min(1).max(1000).default(3),
    deadLetter: Destination.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const field = QUEUE_FIELD[c.source];
    if (!c[field]) ctx.addIssue({ code: "custom", path: [field], message: `is required for source "${c.source}"` });
    if (c.deadLetter && !c.deadLetter[field]) ctx.addIssue({ code: "custom", path: ["deadLetter", field], message: `is required: the dead-letter ${field} on ${c.source}` });
  })
  .openapi("QueueTriggerConfig");
export type QueueTriggerConfig = z.infer<typeof QueueTriggerConfig>;

export const StreamTriggerConfig = z
  .object({
    source: z.enum(["redis", "nats"]),
    stream: Name,
    subject: Name.optional(),
    startingPosition: z.enum(["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"]).default("LATEST"),
    startingPositionTimestamp: z.string().datetime().optional(),
    batchSize: z.number().int().min(1).max(10_000).default(100),
    bisectBatchOnFunctionError: z.boolean().default(false),
    maximumRetryAttempts: z.number().int().min(-1).max(10_000).default(-1).openapi({ description: "Retries of a failing batch before it goes to onFailure (or is dropped); -1 retries for as long as the record is in the stream" }),
    maximumRecordAgeInSeconds: z
      .number()
      .int()
      .default(-1)
      .refine((n) => n === -1 || (n >= 60 && n <= 604_800), { message: "must be -1 (no limit) or from 60 to 604800 seconds (7 days), as Lambda's MaximumRecordAgeInSeconds" })
      .openapi({ description: "Records older than this (since the broker stored them) are not sent to the function: they go to onFailure (condition RecordAgeExceeded; dropped without one) and the checkpoint moves past them. -1: no limit" }),
    onFailure: Destination.optional(),
    parallelizationFactor: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(1)
      .openapi({ description: "Batches of one shard processed at once; records are spread over them by a hash of the partition key, so each key stays in order" }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.startingPosition === "AT_TIMESTAMP" && !c.startingPositionTimestamp) {
      ctx.addIssue({ code: "custom", path: ["startingPositionTimestamp"], message: "is required when startingPosition is AT_TIMESTAMP" });
    }
    if (c.onFailure && !c.onFailure[c.source === "redis" ? "stream" : "subject"]) {
      const f = c.source === "redis" ? "stream" : "subject";
      ctx.addIssue({ code: "custom", path: ["onFailure", f], message: `is required: the on-failure ${f} on ${c.source}` });
    }
  })
  .openapi("StreamTriggerConfig");
export type StreamTriggerConfig = z.infer<typeof StreamTriggerConfig>;

/** The config schema of each type. */
export const TRIGGER_CONFIG_SCHEMAS = {
  Http: HttpTriggerConfig,
  Scheduled: ScheduledTriggerConfig,
  Queue: QueueTriggerConfig,
  Stream: StreamTriggerConfig,
} as const satisfies Record<TriggerType, z.ZodType>;

// ---------------------------------------------------------------------------------------------
// Bodies and views
// ---------------------------------------------------------------------------------------------

const Qualifier = z.string().min(1).max(128).openapi({ description: "A version number, an alias or $LATEST. @default $LATEST", example: "live" });
const ConfigObject = z.record(z.string(), z.unknown()).openapi({ description: "The type's config: HttpTriggerConfig, ScheduledTriggerConfig, QueueTriggerConfig or StreamTriggerConfig" });

export const CreateTriggerBody = z
  .object({
    functionName: FunctionName,
    qualifier: Qualifier.optional(),
    type: TriggerType,
    config: ConfigObject,
    enabled: z.boolean().default(true),
  })
  .strict()
  .openapi("CreateTrigger");
export type CreateTriggerInput = z.input<typeof CreateTriggerBody>;
export type CreateTriggerBody = z.infer<typeof CreateTriggerBody>;

/** PUT: what is given replaces what is stored; a trigger's function and type never change. */
export const UpdateTriggerBody = z
  .object({
    functionName: FunctionName.optional().openapi({ description: "Must equal the trigger's: a trigger cannot move to another function" }),
    type: TriggerType.optional().openapi({ description: "Must equal the trigger's" }),
    qualifier: Qualifier.optional(),
    config: ConfigObject.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .openapi("UpdateTrigger");
export type UpdateTriggerBody = z.infer<typeof UpdateTriggerBody>;

export const TriggerId = z.string().min(1).max(64).openapi({ example: "6f1c2a9e-7a0b-4b7e-9a53-2f0c9b1d8e11" });

export const TriggerView = z
  .object({
    triggerId: z.string(),
    functionName: z.string(),
    qualifier: z.string(),
    type: TriggerType,
    config: z.record(z.string(), z.unknown()),
    enabled: z.boolean(),
    executionCount: z.number(),
    failureCount: z.number(),
    lastExecutedAt: z.string().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Trigger");
export type TriggerView = z.infer<typeof TriggerView>;

export const TriggerList = z.object({ triggers: z.array(TriggerView) }).openapi("TriggerList");
export type TriggerList = z.infer<typeof TriggerList>;

export const TriggerListQuery = z.object({
  functionName: FunctionName.optional().openapi({ param: { name: "functionName", in: "query" } }),
  type: TriggerType.optional().openapi({ param: { name: "type", in: "query" } }),
});
export type TriggerListQuery = z.infer<typeof TriggerListQuery>;
