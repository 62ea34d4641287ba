/**
 * Wire schemas of /api/v1/functions: the create and update bodies and the function view.
 * One schema, one name: the zod object is the platform's validator, the OpenAPI component and,
 * through z.infer, the typed client's type. They use @hono/zod-openapi's `z` (zod plus `.openapi()`
 * metadata), so the API document and the client read the same definitions.
 */
import { z } from "@hono/zod-openapi";
import { FUNCTION_NAME_PATTERN, MAX_INSTANCE_CONCURRENCY, MAX_MEMORY_MB, MAX_TIMEOUT_SECONDS, MIN_MEMORY_MB } from "../limits.ts";
import { capacitySettings } from "./capacity.ts";
import { RateLimit } from "./rate-limit.ts";
import { LayerRefs } from "./layers.ts";

/** Variables the platform sets itself; a function may not override them. */
const RESERVED_ENV = /^(AWS_LAMBDA_.*|LAMBDA_TASK_ROOT|LAMBDA_RUNTIME_DIR|_HANDLER|AWS_REGION|HOTSWAP_.*)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_ENV_BYTES = 4096;

export const FunctionName = z
  .string()
  .regex(FUNCTION_NAME_PATTERN, "must be 1-64 characters of letters, digits, '-' or '_'")
  .openapi({ example: "hello" });
export type FunctionName = z.infer<typeof FunctionName>;

/** The names rule environment and secrets share: valid variable names the platform does not own. */
function checkVariableNames(vars: Record<string, string>, ctx: z.RefinementCtx): void {
  for (const k of Object.keys(vars)) {
    if (!ENV_NAME.test(k)) ctx.addIssue({ code: "custom", path: [k], message: "is not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)" });
    else if (RESERVED_ENV.test(k)) ctx.addIssue({ code: "custom", path: [k], message: "is reserved by the platform; choose another name" });
  }
  const size = Buffer.byteLength(JSON.stringify(vars));
  if (size > MAX_ENV_BYTES) ctx.addIssue({ code: "custom", message: `is ${size} bytes; the limit is ${MAX_ENV_BYTES} bytes (as in Lambda)` });
}

export const Environment = z
  .record(z.string(), z.string())
  .superRefine(checkVariableNames)
  .openapi({ example: { GREETING: "hello" } });

/** What the API shows in place of every secret value. */
export const SECRET_MASK = "***";

/**
 * Environment variables whose values are secret: sealed at rest, delivered to the function in its
 * environment, shown as "***" by every answer. On update, a value of "***" keeps the stored one (so
 * a view can be sent back unchanged); the names given replace the whole set, like `environment`.
 */
export const Secrets = z
  .record(z.string(), z.string())
  .superRefine(checkVariableNames)
  .openapi({ example: { DB_PASSWORD: "s3cret" }, description: 'Secret environment variables: never returned (shown as "***"), never logged.' });

/** Secret names, each mapped to the mask: how answers show a function's secrets. */
export const MaskedSecrets = z.record(z.string(), z.literal(SECRET_MASK));
export type MaskedSecrets = z.infer<typeof MaskedSecrets>;

export const MIN_LOG_RETENTION_DAYS = 1;
export const MAX_LOG_RETENTION_DAYS = 3650;
const LOG_RETENTION_RANGE = `must be a whole number of days from ${MIN_LOG_RETENTION_DAYS} to ${MAX_LOG_RETENTION_DAYS}, or null for the platform default`;
/** 64 KiB: room for a few invocations' lines. */
export const MIN_LOG_MAX_BYTES = 65_536;
/** 1 TiB. */
export const MAX_LOG_MAX_BYTES = 1_099_511_627_776;
const LOG_MAX_BYTES_RANGE = `must be a whole number of bytes from ${MIN_LOG_MAX_BYTES} (64 KiB) to ${MAX_LOG_MAX_BYTES} (1 TiB), or null for the platform default`;

/** A whole number in [min, max], or null; every failure says `range`. */
function wholeOrNull(min: number, max: number, range: string) {
  return z.number({ message: range }).int(range).min(min, range).max(max, range).nullable();
}

const Tags = z.record(z.string().max(128), z.string().max(256)).refine((t) => Object.keys(t).length <= 50, "at most 50 tags");

const functionSettings = {
  /** Validated against the runtime list in the handler, so the error can list the valid ids. */
  runtime: z.string().min(1).openapi({ example: "nodejs20" }),
  handler: z.string().min(1).max(128).openapi({ example: "index.handler" }),
  memorySize: z.number().int().min(MIN_MEMORY_MB).max(MAX_MEMORY_MB).openapi({ example: 256 }),
  timeout: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS).openapi({ example: 30, description: "Seconds" }),
  environment: Environment,
  secrets: Secrets,
  description: z.string().max(256),
  tags: Tags,
  protocol: z.enum(["fast", "runtime-api"]).openapi({
    description: "How the runner talks to instances. Defaults to fast for nodejs*/python*/java*, runtime-api for provided.",
  }),
  instanceConcurrency: z.number().int().min(1).max(MAX_INSTANCE_CONCURRENCY).openapi({
    description: "Invocations one instance runs at once (1 = Lambda semantics).",
  }),
  maxInstances: z.number().int().min(1).max(1000).nullable().openapi({ description: "Cap on instances per runner." }),
  logRetentionDays: wholeOrNull(MIN_LOG_RETENTION_DAYS, MAX_LOG_RETENTION_DAYS, LOG_RETENTION_RANGE).openapi({
    description: "Days the function's log lines are kept; null = the platform default (HOTSWAP_LOG_RETENTION_DAYS, 7).",
  }),
  logMaxBytes: wholeOrNull(MIN_LOG_MAX_BYTES, MAX_LOG_MAX_BYTES, LOG_MAX_BYTES_RANGE).openapi({
    description: "Cap on the bytes of log lines kept for the function, oldest dropped first; null = the platform default (HOTSWAP_LOG_MAX_BYTES).",
  }),
};

export const CreateFunctionBody = z
  .object({
    name: FunctionName,
    runtime: functionSettings.runtime,
    handler: functionSettings.handler,
    memorySize: functionSettings.memorySize.default(256),
    timeout: functionSettings.timeout.default(30),
    environment: functionSettings.environment.default({}),
    secrets: functionSettings.secrets.default({}),
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
    logRetentionDays: functionSettings.logRetentionDays.optional(),
    logMaxBytes: functionSettings.logMaxBytes.optional(),
    rateLimit: RateLimit.nullable().optional(),
    layers: LayerRefs.default([]),
  })
  .strict()
  .openapi("CreateFunction");
export type CreateFunctionBody = z.infer<typeof CreateFunctionBody>;
/** What a caller sends: fields with defaults may be left out. */
export type CreateFunctionInput = z.input<typeof CreateFunctionBody>;

export const UpdateFunctionBody = z
  .object({
    runtime: functionSettings.runtime.optional(),
    handler: functionSettings.handler.optional(),
    memorySize: functionSettings.memorySize.optional(),
    timeout: functionSettings.timeout.optional(),
    environment: functionSettings.environment.optional(),
    secrets: functionSettings.secrets.optional(),
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
    logRetentionDays: functionSettings.logRetentionDays.optional(),
    logMaxBytes: functionSettings.logMaxBytes.optional(),
    rateLimit: RateLimit.nullable().optional(),
    layers: LayerRefs.optional(),
  })
  .strict()
  .openapi("UpdateFunction");
export type UpdateFunctionBody = z.infer<typeof UpdateFunctionBody>;
export type UpdateFunctionInput = z.input<typeof UpdateFunctionBody>;

export const FunctionView = z
  .object({
    name: z.string(),
    runtime: z.string(),
    handler: z.string(),
    memorySize: z.number(),
    timeout: z.number(),
    environment: z.record(z.string(), z.string()),
    /** Secret names, each shown as "***". */
    secrets: MaskedSecrets,
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
    /** Null: the platform default applies. */
    logRetentionDays: z.number().nullable(),
    logMaxBytes: z.number().nullable(),
    /** Invocations per second with a burst, across the cluster; null: the server default (HOTSWAP_RATE_LIMIT_FUNCTION_*). */
    rateLimit: z.object({ rps: z.number(), burst: z.number() }).nullable(),
    /** Layer versions ("name:N") the next published version runs with, in merge order. */
    layers: z.array(z.string()),
    latestVersion: z.number().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Function");
export type FunctionView = z.infer<typeof FunctionView>;

/** GET /api/v1/functions. */
export const FunctionList = z.object({ functions: z.array(FunctionView) });
export type FunctionList = z.infer<typeof FunctionList>;

