/**
 * Wire schemas of the management API for functions, versions and aliases.
 * One schema, one name: the zod object is both the validator and the OpenAPI component.
 */
import { z } from "@hono/zod-openapi";
import {
  ALIAS_NAME_PATTERN,
  FUNCTION_NAME_PATTERN,
  MAX_INSTANCE_CONCURRENCY,
  MAX_MEMORY_MB,
  MAX_TIMEOUT_SECONDS,
  MIN_MEMORY_MB,
} from "../../../protocol/limits.ts";
import { MAX_IDLE_TIMEOUT_MS, MIN_IDLE_TIMEOUT_MS, cronProblem, durationProblem } from "../fleet/capacity-settings.ts";

/** Variables the platform sets itself; a function may not override them. */
const RESERVED_ENV = /^(AWS_LAMBDA_.*|LAMBDA_TASK_ROOT|LAMBDA_RUNTIME_DIR|_HANDLER|AWS_REGION|HOTSWAP_.*)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_ENV_BYTES = 4096;

export const FunctionName = z
  .string()
  .regex(FUNCTION_NAME_PATTERN, "must be 1-64 characters of letters, digits, '-' or '_'")
  .openapi({ example: "hello" });

export const Environment = z
  .record(z.string(), z.string())
  .superRefine((env, ctx) => {
    for (const k of Object.keys(env)) {
      if (!ENV_NAME.test(k)) ctx.addIssue({ code: "custom", path: [k], message: "is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)" });
      else if (RESERVED_ENV.test(k)) ctx.addIssue({ code: "custom", path: [k], message: "is reserved by the platform; choose another name" });
    }
    const size = Buffer.byteLength(JSON.stringify(env));
    if (size > MAX_ENV_BYTES) ctx.addIssue({ code: "custom", message: `is ${size} bytes; the limit is ${MAX_ENV_BYTES} bytes (as in Lambda)` });
  })
  .openapi({ example: { GREETING: "hello" } });

const Tags = z.record(z.string().max(128), z.string().max(256)).refine((t) => Object.keys(t).length <= 50, "at most 50 tags");

const TimeZone = z.string().min(1).max(64).openapi({ example: "Europe/Paris", description: "IANA time zone of the cron expression (default UTC)" });

function checkCron(v: { schedule: string; timezone?: string }, ctx: z.RefinementCtx): void {
  const problem = cronProblem(v.schedule, v.timezone);
  if (problem) ctx.addIssue({ code: "custom", path: [problem.includes("time zone") ? "timezone" : "schedule"], message: problem });
}

export const KeepWarm = z
  .object({
    schedule: z.string().min(1).max(256).default("*/1 * * * *").openapi({
      example: "*/5 * * * *",
      description: "Cron expression (5 fields, or 6 with seconds first). On each fire, at least `instances` instances are made warm.",
    }),
    instances: z.number().int().min(1).max(100).default(1),
    timezone: TimeZone.optional(),
  })
  .strict()
  .superRefine(checkCron)
  .openapi("KeepWarm");

export const ScalingSchedule = z
  .object({
    schedule: z.string().min(1).max(256).openapi({ example: "0 9 * * 1-5", description: "Cron expression: when the window opens." }),
    duration: z
      .string()
      .superRefine((v, ctx) => {
        const p = durationProblem(v, 1000, 7 * 24 * 3600 * 1000);
        if (p) ctx.addIssue({ code: "custom", message: p });
      })
      .openapi({ example: "PT8H", description: "ISO-8601 length of the window." }),
    minInstances: z.number().int().min(1).max(1000),
    timezone: TimeZone.optional(),
  })
  .strict()
  .superRefine(checkCron)
  .openapi("ScalingSchedule");

const IdleTimeout = z
  .string()
  .superRefine((v, ctx) => {
    const p = durationProblem(v, MIN_IDLE_TIMEOUT_MS, MAX_IDLE_TIMEOUT_MS);
    if (p) ctx.addIssue({ code: "custom", message: p });
  })
  .openapi({ example: "PT10M", description: "ISO-8601: an instance idle this long is stopped (scale to zero). Default: the runner's HOTSWAP_IDLE_TIMEOUT." });

/** Capacity settings (see platform/src/fleet/capacity-settings.ts): the same keys in create, update and the view. */
const capacitySettings = {
  reservedConcurrency: z.number().int().min(0).max(100000).nullable().openapi({
    description: "Cap on concurrent invocations across the fleet; beyond it invocations get 429. 0 throttles every invocation. null: no cap.",
  }),
  provisionedConcurrency: z.number().int().min(0).max(1000).openapi({
    description: "Instances of the version an unqualified invoke runs kept initialised across the fleet, placed again when a runner dies.",
  }),
  keepWarm: KeepWarm.nullable(),
  idleTimeout: IdleTimeout.nullable(),
  scheduledScaling: z.array(ScalingSchedule).max(20).openapi({ description: "Minimum instances for time windows opened by cron expressions." }),
};

const functionSettings = {
  /** Validated against the runtime list in the handler, so the error can list the valid ids. */
  runtime: z.string().min(1).openapi({ example: "nodejs20" }),
  handler: z.string().min(1).max(128).openapi({ example: "index.handler" }),
  memorySize: z.number().int().min(MIN_MEMORY_MB).max(MAX_MEMORY_MB).openapi({ example: 256 }),
  timeout: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS).openapi({ example: 30, description: "Seconds" }),
  environment: Environment,
  description: z.string().max(256),
  tags: Tags,
  protocol: z.enum(["fast", "runtime-api"]).openapi({
    description: "How the runner talks to instances. Defaults to fast for nodejs*/python*, runtime-api for provided.",
  }),
  instanceConcurrency: z.number().int().min(1).max(MAX_INSTANCE_CONCURRENCY).openapi({
    description: "Invocations one instance runs at once (1 = Lambda semantics).",
  }),
  maxInstances: z.number().int().min(1).max(1000).nullable().openapi({ description: "Cap on instances per runner." }),
};

export const CreateFunctionBody = z
  .object({
    name: FunctionName,
    runtime: functionSettings.runtime,
    handler: functionSettings.handler,
    memorySize: functionSettings.memorySize.default(256),
    timeout: functionSettings.timeout.default(30),
    environment: functionSettings.environment.default({}),
    description: functionSettings.description.default(""),
    tags: functionSettings.tags.default({}),
    protocol: functionSettings.protocol.optional(),
    instanceConcurrency: functionSettings.instanceConcurrency.default(1),
    maxInstances: functionSettings.maxInstances.optional(),
    reservedConcurrency: capacitySettings.reservedConcurrency.optional(),
    provisionedConcurrency: capacitySettings.provisionedConcurrency.default(0),
    keepWarm: capacitySettings.keepWarm.optional(),
    idleTimeout: capacitySettings.idleTimeout.optional(),
    scheduledScaling: capacitySettings.scheduledScaling.default([]),
  })
  .strict()
  .openapi("CreateFunction");
export type CreateFunctionBody = z.infer<typeof CreateFunctionBody>;

export const UpdateFunctionBody = z
  .object({
    runtime: functionSettings.runtime.optional(),
    handler: functionSettings.handler.optional(),
    memorySize: functionSettings.memorySize.optional(),
    timeout: functionSettings.timeout.optional(),
    environment: functionSettings.environment.optional(),
    description: functionSettings.description.optional(),
    tags: functionSettings.tags.optional(),
    protocol: functionSettings.protocol.optional(),
    instanceConcurrency: functionSettings.instanceConcurrency.optional(),
    maxInstances: functionSettings.maxInstances.optional(),
    reservedConcurrency: capacitySettings.reservedConcurrency.optional(),
    provisionedConcurrency: capacitySettings.provisionedConcurrency.optional(),
    keepWarm: capacitySettings.keepWarm.optional(),
    idleTimeout: capacitySettings.idleTimeout.optional(),
    scheduledScaling: capacitySettings.scheduledScaling.optional(),
  })
  .strict()
  .openapi("UpdateFunction");
export type UpdateFunctionBody = z.infer<typeof UpdateFunctionBody>;

export const FunctionView = z
  .object({
    name: z.string(),
    runtime: z.string(),
    handler: z.string(),
    memorySize: z.number(),
    timeout: z.number(),
    environment: z.record(z.string(), z.string()),
    description: z.string(),
    tags: z.record(z.string(), z.string()),
    protocol: z.string(),
    instanceConcurrency: z.number(),
    maxInstances: z.number().nullable(),
    reservedConcurrency: z.number().nullable(),
    provisionedConcurrency: z.number(),
    keepWarm: z.object({ schedule: z.string(), instances: z.number(), timezone: z.string().optional() }).nullable(),
    idleTimeout: z.string().nullable(),
    scheduledScaling: z.array(z.object({ schedule: z.string(), duration: z.string(), minInstances: z.number(), timezone: z.string().optional() })),
    latestVersion: z.number().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Function");

export const PublishVersionBody = z
  .object({
    code: z.string().min(1).openapi({ description: "The zip archive, base64-encoded" }),
    description: z.string().max(256).default(""),
  })
  .strict()
  .openapi("PublishVersion");

export const VersionView = z
  .object({
    functionName: z.string(),
    version: z.number(),
    codeSha256: z.string(),
    codeSize: z.number(),
    description: z.string(),
    runtime: z.string(),
    handler: z.string(),
    memorySize: z.number(),
    timeout: z.number(),
    environment: z.record(z.string(), z.string()),
    protocol: z.string(),
    instanceConcurrency: z.number(),
    createdAt: z.string(),
  })
  .openapi("Version");

export const AliasName = z
  .string()
  .regex(ALIAS_NAME_PATTERN, "must be 1-128 characters of letters, digits, '-' or '_', and not only digits")
  .openapi({ example: "live" });

export const RoutingConfig = z
  .object({
    additionalVersionWeights: z
      .record(z.string().regex(/^[1-9][0-9]*$/, "keys must be version numbers"), z.number().min(0).max(1))
      .default({}),
  })
  .strict()
  .openapi("RoutingConfig");
export type RoutingConfig = z.infer<typeof RoutingConfig>;

export const PutAliasBody = z
  .object({
    version: z.number().int().positive(),
    routingConfig: RoutingConfig.optional(),
    description: z.string().max(256).default(""),
  })
  .strict()
  .openapi("PutAlias");
export type PutAliasBody = z.infer<typeof PutAliasBody>;

export const AliasView = z
  .object({
    functionName: z.string(),
    name: z.string(),
    version: z.number(),
    routingConfig: z.object({ additionalVersionWeights: z.record(z.string(), z.number()) }),
    description: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Alias");
