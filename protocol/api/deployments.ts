/**
 * Wire schemas of /api/v1/deployments: the request body, each strategy's config, the analysis
 * thresholds, the commands and the views. One schema, one name: each zod object is the platform's
 * validator, the OpenAPI component and the typed client's type. A strategy's config is checked
 * against that strategy's schema by the platform's parseStrategyConfig, so the error names the
 * field and the strategy.
 */
import { z } from "@hono/zod-openapi";
import { AliasName } from "./aliases.ts";
import { FunctionName } from "./functions.ts";
import { VersionRef } from "./versions.ts";
import { formatMs, parseDuration } from "./durations.ts";

export const STRATEGIES = ["Direct", "Canary", "Linear", "BlueGreen", "Rolling", "ABTesting"] as const;
export const DeploymentStrategy = z.enum(STRATEGIES).openapi({ example: "Canary" });
export type DeploymentStrategy = z.infer<typeof DeploymentStrategy>;

/** PendingApproval: a deployment to a protected alias waits for another principal's approval before it starts. */
export const STATUSES = ["PendingApproval", "Pending", "InProgress", "Paused", "Succeeded", "RolledBack", "Failed"] as const;
export const DeploymentStatus = z.enum(STATUSES);
export type DeploymentStatus = z.infer<typeof DeploymentStatus>;

const DAY_MS = 86_400_000;

/** An ISO-8601 duration between min and max milliseconds. */
function duration(minMs: number, maxMs: number, example: string) {
  return z
    .string({ error: (i) => (i.input === undefined ? "is required" : "must be an ISO-8601 duration string such as PT30S") })
    .superRefine((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.addIssue({ code: "custom", message: `"${v}" is not an ISO-8601 duration; write e.g. PT30S, PT10M or PT1H` });
      } else if (ms < minMs) {
        ctx.addIssue({ code: "custom", message: `is ${formatMs(ms)}; the minimum is ${formatMs(minMs)}` });
      } else if (ms > maxMs) {
        ctx.addIssue({ code: "custom", message: `is ${formatMs(ms)}; the maximum is ${formatMs(maxMs)}` });
      }
    })
    .openapi({ example });
}

const num = () => z.number({ error: (i) => (i.input === undefined ? "is required" : "must be a number") });
/** A share of traffic in percent, strictly between 0 and 100 (0 and 100 are not a split). */
const splitPercentage = () => num().gt(0, "must be more than 0").lt(100, "must be less than 100 (use strategy Direct for 100)");

export const CanaryConfig = z
  .object({
    canaryPercentage: splitPercentage().openapi({ example: 10, description: "Percent of traffic on the new version during the canary" }),
    canaryDuration: duration(1000, DAY_MS, "PT10M").openapi({ description: "How long the canary runs before 100%" }),
  })
  .strict()
  .openapi("CanaryConfig");

export const LinearConfig = z
  .object({
    stepPercentage: num().gt(0, "must be more than 0").max(100, "must be at most 100").openapi({ example: 10 }),
    stepInterval: duration(1000, DAY_MS, "PT1M"),
  })
  .strict()
  .openapi("LinearConfig");

export const BlueGreenConfig = z
  .object({
    rollbackWindow: duration(0, DAY_MS, "PT5M").openapi({
      description: "After the switch: analysis keeps running and the old version stays warm for this long",
    }),
    smokeEvent: z.unknown().optional().openapi({ description: "Event of the smoke invocation of the new version. Default {}" }),
  })
  .strict()
  .openapi("BlueGreenConfig");

export const RollingConfig = z
  .object({
    batchSize: z.number().int("must be a whole number of runners").min(1, "must be at least 1").optional(),
    batchPercentage: num().gt(0, "must be more than 0").max(100, "must be at most 100").optional(),
    batchInterval: duration(1000, DAY_MS, "PT1M"),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.batchSize !== undefined && c.batchPercentage !== undefined) {
      ctx.addIssue({ code: "custom", message: 'Cannot set both "batchSize" and "batchPercentage"' });
    } else if (c.batchSize === undefined && c.batchPercentage === undefined) {
      ctx.addIssue({ code: "custom", message: 'Set "batchSize" (runners per batch) or "batchPercentage" (percent of runners per batch)' });
    }
  })
  .openapi("RollingConfig");

export const AbKey = z
  .object({
    header: z.string().min(1).max(256).optional(),
    cookie: z.string().min(1).max(256).optional(),
    query: z.string().min(1).max(256).optional(),
  })
  .strict()
  .superRefine((k, ctx) => {
    const set = ["header", "cookie", "query"].filter((f) => k[f as keyof typeof k] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({ code: "custom", message: `Set exactly one of "header", "cookie" or "query" (got ${set.length === 0 ? "none" : set.join(" and ")})` });
    }
  })
  .openapi("AbKey", { example: { header: "x-user-id" } });

export const ABTestingConfig = z
  .object({
    variantPercentage: splitPercentage().openapi({ example: 50, description: "Percent of keys sent to the new version" }),
    key: AbKey,
  })
  .strict()
  .openapi("ABTestingConfig");

export const DirectConfig = z.object({}).strict().openapi("DirectConfig");

export const STRATEGY_CONFIGS = {
  Direct: DirectConfig,
  Canary: CanaryConfig,
  Linear: LinearConfig,
  BlueGreen: BlueGreenConfig,
  Rolling: RollingConfig,
  ABTesting: ABTestingConfig,
} as const;

export type CanaryConfig = z.infer<typeof CanaryConfig>;
export type LinearConfig = z.infer<typeof LinearConfig>;
export type BlueGreenConfig = z.infer<typeof BlueGreenConfig>;
export type RollingConfig = z.infer<typeof RollingConfig>;
export type ABTestingConfig = z.infer<typeof ABTestingConfig>;

/** The placeholders a metric template's query may use; anything else in `{{ }}` is refused. */
export const PROMETHEUS_PLACEHOLDERS = ["function", "version", "interval"] as const;

/**
 * One Flagger-style metric template: a PromQL query with placeholders, judged against the new
 * version every analysis interval. The query must return one number (a scalar, or a vector of one
 * sample); no data (an empty vector or NaN, e.g. a rate before any traffic) is not judged.
 */
export const PrometheusMetric = z
  .object({
    name: z
      .string({ error: (i) => (i.input === undefined ? "is required" : "must be a string") })
      .regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, "must start with a letter and have at most 63 letters, digits, _ or -")
      .openapi({ example: "error-rate" }),
    query: z
      .string({ error: (i) => (i.input === undefined ? "is required" : "must be a string") })
      .min(1, "must not be empty")
      .max(4000, "must be at most 4000 characters")
      .superRefine((q, ctx) => {
        for (const m of q.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
          if (!(PROMETHEUS_PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
            ctx.addIssue({ code: "custom", message: `has the unknown placeholder {{${m[1]}}}; use {{function}}, {{version}} or {{interval}}` });
          }
        }
      })
      .openapi({
        description: "PromQL; {{function}}, {{version}} (the new version) and {{interval}} (the analysis interval as a Prometheus duration, e.g. 30s) are substituted",
        example:
          'sum(rate(hotswap_invocations_total{function="{{function}}",version="{{version}}",outcome!="success"}[{{interval}}])) / sum(rate(hotswap_invocations_total{function="{{function}}",version="{{version}}"}[{{interval}}]))',
      }),
    thresholdMax: num().optional().openapi({ description: "Roll back when the value is above this" }),
    thresholdMin: num().optional().openapi({ description: "Roll back when the value is below this" }),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.thresholdMax === undefined && m.thresholdMin === undefined) {
      ctx.addIssue({ code: "custom", message: `metric "${m.name}" needs thresholdMax, thresholdMin or both`, path: ["thresholdMax"] });
    } else if (m.thresholdMax !== undefined && m.thresholdMin !== undefined && m.thresholdMin > m.thresholdMax) {
      ctx.addIssue({ code: "custom", message: `is ${m.thresholdMin}, above thresholdMax ${m.thresholdMax}; no value could pass`, path: ["thresholdMin"] });
    }
  })
  .openapi("PrometheusMetric");
export type PrometheusMetric = z.infer<typeof PrometheusMetric>;

export const PrometheusAnalysis = z
  .object({
    address: z
      .string({ error: (i) => (i.input === undefined ? "is required" : "must be a string") })
      .url("must be a URL such as http://prometheus:9090")
      .refine((u) => /^https?:\/\//i.test(u), "must be an http:// or https:// URL")
      .openapi({ example: "http://prometheus:9090" }),
    bearerToken: z.string().min(1, "must not be empty").optional().openapi({ description: "Sent as Authorization: Bearer; shown as \"***\" when the deployment is read" }),
    metrics: z
      .array(PrometheusMetric)
      .min(1, "must list at least one metric")
      .max(10, "must list at most 10 metrics")
      .superRefine((ms, ctx) => {
        const seen = new Set<string>();
        ms.forEach((m, i) => {
          if (seen.has(m.name)) ctx.addIssue({ code: "custom", message: `repeats the metric name "${m.name}"; names must be unique`, path: [i, "name"] });
          seen.add(m.name);
        });
      }),
    timeout: duration(100, 60_000, "PT5S").default("PT5S").openapi({ description: "Time limit of one query. Default PT5S" }),
    failAfterErrors: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(3)
      .openapi({
        description:
          "Consecutive analysis intervals whose queries failed (Prometheus unreachable, an error, a result that is not one number) after which the deployment is rolled back; 0 never rolls back for errors (they are only recorded). Default 3",
      }),
  })
  .strict()
  .openapi("PrometheusAnalysis");
export type PrometheusAnalysis = z.infer<typeof PrometheusAnalysis>;

export const AnalysisConfig = z
  .object({
    interval: duration(1000, 3600_000, "PT30S").default("PT30S").openapi({ description: "Analysis window. Default PT30S" }),
    maxErrorRate: num().min(0).max(1).default(0.05).openapi({ description: "Roll back when the new version's error rate exceeds this (0..1). Default 0.05" }),
    maxP99LatencyMs: num().positive().optional().openapi({ description: "Roll back when the new version's p99 exceeds this. Off by default" }),
    maxErrorRateIncrease: num().min(0).max(1).optional().openapi({
      description: "Roll back when the new version's error rate exceeds the old version's by more than this (absolute, 0.02 = 2 points). Off by default",
    }),
    maxP99Increase: num().positive().optional().openapi({
      description: "Roll back when the new version's p99 exceeds the old version's by more than this fraction (0.5 = 50 % slower). Off by default",
    }),
    minRequests: z.number().int().min(1).default(20).openapi({ description: "Requests a window needs before it is judged. Default 20" }),
    prometheus: PrometheusAnalysis.optional().openapi({
      description: "Metric templates queried from a Prometheus every interval beside the built-in checks; a value beyond a threshold rolls back",
    }),
  })
  .strict()
  .openapi("AnalysisConfig");
export type AnalysisConfig = z.infer<typeof AnalysisConfig>;

export const HookRef = z
  .object({ functionName: FunctionName, qualifier: z.string().min(1).max(128).optional() })
  .strict()
  .openapi("DeploymentHook");
export type HookRef = z.infer<typeof HookRef>;

export const DeploymentHooks = z
  .object({ preTraffic: HookRef.optional(), postTraffic: HookRef.optional() })
  .strict()
  .openapi("DeploymentHooks", {
    description: "Functions invoked with the deployment context before traffic moves and after it reached 100%. A failing hook fails the deployment.",
  });
export type DeploymentHooks = z.infer<typeof DeploymentHooks>;

export const CreateDeploymentBody = z
  .object({
    functionName: FunctionName,
    version: VersionRef.openapi({ example: 2, description: 'The version to roll out: a number, or "v2" / "2"' }),
    alias: AliasName.default("live"),
    strategy: DeploymentStrategy,
    config: z
      .record(z.string(), z.unknown())
      .default({})
      .openapi({
        description:
          "Per strategy: Canary {canaryPercentage, canaryDuration}; Linear {stepPercentage, stepInterval}; BlueGreen {rollbackWindow, smokeEvent?}; Rolling {batchSize | batchPercentage, batchInterval}; ABTesting {variantPercentage, key: {header | cookie | query}}; Direct {}",
        example: { canaryPercentage: 10, canaryDuration: "PT10M" },
      }),
    analysis: AnalysisConfig.default(AnalysisConfig.parse({})),
    hooks: DeploymentHooks.default({}),
    onConflict: z.enum(["fail", "cancel"]).default("fail").openapi({
      description: 'When another deployment is active on the alias: "fail" (409) or "cancel" (roll it back first)',
    }),
  })
  .strict()
  .openapi("CreateDeployment");
export type CreateDeploymentBody = z.infer<typeof CreateDeploymentBody>;
/** What a caller sends: fields with defaults (alias, config, analysis, hooks, onConflict) may be left out. */
export type CreateDeploymentInput = z.input<typeof CreateDeploymentBody>;

/** GET /api/v1/deployments filters. */
export const DeploymentListQuery = z.object({
  functionName: FunctionName.optional(),
  alias: AliasName.optional(),
  status: DeploymentStatus.optional(),
});
export type DeploymentListQuery = z.infer<typeof DeploymentListQuery>;

/** pause, resume, promote and rollback: POST /api/v1/deployments/{id}/{command}. */
export const DEPLOYMENT_COMMANDS = ["pause", "resume", "promote", "rollback"] as const;
export type DeploymentCommandName = (typeof DEPLOYMENT_COMMANDS)[number];

export const CommandBody = z
  .object({ reason: z.string().max(500).optional() })
  .strict()
  .openapi("DeploymentCommand");
export type CommandBody = z.infer<typeof CommandBody>;

/** POST /api/v1/deployments/{id}/reject: why (required, so the requester learns it). */
export const RejectBody = z
  .object({ reason: z.string().trim().min(1, "is required: say why the deployment is rejected").max(500) })
  .strict()
  .openapi("DeploymentReject");
export type RejectBody = z.infer<typeof RejectBody>;

/**
 * The approval a deployment to a protected alias needs: who asked, until when it may be approved,
 * and who approved or rejected it (and why). Null on deployments to unprotected aliases.
 */
export const DeploymentApproval = z
  .object({
    requestedBy: z.string().nullable().openapi({ description: "The requester; it may not approve its own deployment" }),
    requestedAt: z.string(),
    expiresAt: z.string().openapi({ description: "Unapproved by then, the deployment fails (HOTSWAP_APPROVAL_TIMEOUT after the request)" }),
    approvers: z.string().openapi({ description: "Who may approve or reject, in words" }),
    approvedBy: z.string().optional(),
    approvedAt: z.string().optional(),
    rejectedBy: z.string().optional(),
    rejectedAt: z.string().optional(),
    reason: z.string().optional().openapi({ description: "The rejection's reason" }),
    expiredAt: z.string().optional(),
  })
  .openapi("DeploymentApproval");
export type DeploymentApproval = z.infer<typeof DeploymentApproval>;

const Weights = z.record(z.string(), z.number()).openapi({ example: { "1": 0.9, "2": 0.1 } });

export const VersionWindowStats = z
  .object({
    requests: z.number(),
    errors: z.number(),
    errorRate: z.number().nullable(),
    p50: z.number().nullable(),
    p95: z.number().nullable(),
    p99: z.number().nullable(),
  })
  .openapi("VersionWindowStats");

export const DeploymentEventView = z
  .object({
    at: z.string(),
    type: z.string(),
    fromStatus: z.string().nullable(),
    toStatus: z.string().nullable(),
    weights: Weights.nullable(),
    reason: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("DeploymentEvent");
export type DeploymentEventView = z.infer<typeof DeploymentEventView>;

export const DeploymentSummary = z
  .object({
    deploymentId: z.string(),
    functionName: z.string(),
    alias: z.string(),
    fromVersion: z.number().nullable(),
    toVersion: z.number(),
    strategy: DeploymentStrategy,
    config: z.record(z.string(), z.unknown()),
    analysis: z.record(z.string(), z.unknown()),
    hooks: z.record(z.string(), z.unknown()),
    status: DeploymentStatus,
    phase: z.string(),
    progress: z.number().openapi({ description: "Percent of traffic on the new version" }),
    currentWeights: Weights,
    reason: z.string().nullable(),
    pendingCommand: z.string().nullable(),
    approval: DeploymentApproval.nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi("DeploymentSummary");
export type DeploymentSummary = z.infer<typeof DeploymentSummary>;

/** GET /api/v1/deployments. */
export const DeploymentList = z.object({ deployments: z.array(DeploymentSummary) });
export type DeploymentList = z.infer<typeof DeploymentList>;

export const AliasChange = z
  .object({ at: z.string(), action: z.string(), before: z.unknown(), after: z.unknown() })
  .openapi("DeploymentAliasChange");

export const DeploymentView = DeploymentSummary.extend({
  aliasChanges: z.array(AliasChange).openapi({ description: "Audit rows of every alias write this deployment made, oldest first" }),
  metrics: z.object({
    windowSeconds: z.number(),
    current: z.record(z.string(), VersionWindowStats),
    previous: z.record(z.string(), VersionWindowStats),
  }),
  events: z.array(DeploymentEventView),
}).openapi("Deployment");
export type DeploymentView = z.infer<typeof DeploymentView>;

/** GET /api/v1/deployments/{id}/events: the SSE event carrying the whole view, sent at once and on every change. */
export const DEPLOYMENT_EVENT = "deployment";
/** The last SSE event, once the deployment has finished: `{status}`. */
export const DEPLOYMENT_END_EVENT = "end";
