/**
 * Database schema (drizzle pg-core): the single source of truth for the control plane's tables.
 * Postgres and PGlite share it, and drizzle-kit generates `platform/migrations` from it
 * (`npm run db:generate`). Change the schema here, then regenerate; never edit the SQL by hand.
 * Column names are snake_case; TypeScript keys are camelCase.
 */
import {
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import type { RuntimeId, RuntimeProtocol } from "../../../protocol/runtimes.ts";

/** `{ "4": 0.1 }`: extra versions (by number, as a string key) and the share of traffic each receives. */
export interface RoutingConfig {
  additionalVersionWeights: Record<string, number>;
  /** Set only by an ABTesting deployment: a sticky split by request key instead of random weights. */
  abTest?: AbTestRule;
}

/**
 * A/B rule on an alias: requests whose key hashes (with `salt`) below `variantWeight` go to
 * `variantVersion`, the rest (and requests without the key) to the alias's primary version.
 */
export interface AbTestRule {
  variantVersion: number;
  /** 0..1. */
  variantWeight: number;
  key: { header: string } | { cookie: string } | { query: string };
  salt: string;
}

/** A pause/resume/promote/rollback request waiting for the rollout leader to apply it. */
export interface DeploymentCommand {
  action: "pause" | "resume" | "promote" | "rollback";
  reason: string;
  actor: string;
  at: string;
}

/** A layer version as a function version snapshots it. */
export interface VersionLayer {
  name: string;
  version: number;
  codeSha256: string;
}

/** Free-form JSON object column; later issues narrow these types where they own the shape. */
export type JsonObject = Record<string, unknown>;

export type DeploymentStatus = "PendingApproval" | "Pending" | "InProgress" | "Paused" | "Succeeded" | "RolledBack" | "Failed";
export type DeploymentStrategy = "Direct" | "Canary" | "Linear" | "BlueGreen" | "Rolling" | "ABTesting";
export type TriggerType = "Http" | "Scheduled" | "Queue" | "Stream";
/** Lifecycle of an asynchronous or trigger-driven invocation. */
export type InvocationStatus = "Queued" | "Running" | "Retrying" | "Succeeded" | "Failed" | "DeadLettered";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

export const functions = pgTable("functions", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique("functions_name_unique"),
  runtime: text("runtime").$type<RuntimeId>().notNull(),
  handler: text("handler").notNull(),
  memorySize: integer("memory_size").notNull(),
  /** Seconds. */
  timeout: integer("timeout").notNull(),
  environment: jsonb("environment").$type<Record<string, string>>().notNull().default({}),
  description: text("description").notNull().default(""),
  tags: jsonb("tags").$type<Record<string, string>>().notNull().default({}),
  protocol: text("protocol").$type<RuntimeProtocol>().notNull().default("fast"),
  instanceConcurrency: integer("instance_concurrency").notNull().default(1),
  maxInstances: integer("max_instances"),
  reservedConcurrency: integer("reserved_concurrency"),
  provisionedConcurrency: integer("provisioned_concurrency").notNull().default(0),
  keepWarm: jsonb("keep_warm").$type<JsonObject>(),
  scaling: jsonb("scaling").$type<JsonObject>(),
  /** Days function log lines are kept; null = the platform default (HOTSWAP_LOG_RETENTION_DAYS, 7). */
  logRetentionDays: integer("log_retention_days"),
  /** Cap on the bytes of log lines kept for the function (oldest dropped first); null = the platform default. */
  logMaxBytes: bigint("log_max_bytes", { mode: "number" }),
  /**
   * Lambda's FunctionEventInvokeConfig for asynchronous invocations (maximumRetryAttempts,
   * maximumEventAgeInSeconds, destinationConfig); null = the defaults.
   */
  eventInvokeConfig: jsonb("event_invoke_config").$type<JsonObject>(),
  /**
   * Secret environment values, sealed (AES-GCM under HOTSWAP_SECRET_KEY, with the key id so keys
   * can rotate): name → sealed value. Never returned by the API; delivered in the environment.
   */
  secrets: jsonb("secrets").$type<Record<string, string>>().notNull().default({}),
  /** Per-function invoke rate limit ({rps, burst}); null means the server default. */
  rateLimit: jsonb("rate_limit").$type<JsonObject>(),
  /** Highest published version; incremented atomically by a publish. 0 = none yet. */
  latestVersion: integer("latest_version").notNull().default(0),
  /** Layer versions ("name:N") the next published version runs with, in merge order. */
  layers: jsonb("layers").$type<string[]>().notNull().default([]),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const functionVersions = pgTable(
  "function_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    functionId: uuid("function_id")
      .notNull()
      .references(() => functions.id, { onDelete: "cascade" }),
    // Denormalised so the routing table and lookups by name need no join.
    functionName: text("function_name").notNull(),
    version: integer("version").notNull(),
    codeSha256: text("code_sha256").notNull(),
    codeSize: integer("code_size").notNull(),
    codeLocation: text("code_location").notNull(),
    description: text("description").notNull().default(""),
    // Config snapshot at publish time: a version is immutable even when the function changes.
    runtime: text("runtime").$type<RuntimeId>().notNull(),
    handler: text("handler").notNull(),
    memorySize: integer("memory_size").notNull(),
    timeout: integer("timeout").notNull(),
    environment: jsonb("environment").$type<Record<string, string>>().notNull().default({}),
    /** The function's sealed secrets at publish time (see functions.secrets). */
    secrets: jsonb("secrets").$type<Record<string, string>>().notNull().default({}),
    protocol: text("protocol").$type<RuntimeProtocol>().notNull(),
    instanceConcurrency: integer("instance_concurrency").notNull(),
    /** The layer versions resolved at publish time (name, version, code sha), in merge order. */
    layers: jsonb("layers").$type<VersionLayer[]>().notNull().default([]),
    createdAt: createdAt(),
  },
  (t) => [
    unique("function_versions_function_id_version_unique").on(t.functionId, t.version),
    // Versions are looked up by function name (API paths, routing table), not by id.
    index("function_versions_function_name_version_idx").on(t.functionName, t.version),
  ],
);

/**
 * A Lambda-style layer: a name and the counter its versions are numbered from. The counter never
 * goes back, so a deleted version's number is never given again (as in Lambda).
 */
export const layers = pgTable("layers", {
  id: uuid("id").primaryKey().defaultRandom(),
  name: text("name").notNull().unique("layers_name_unique"),
  /** Highest published version; incremented atomically by a publish. */
  latestVersion: integer("latest_version").notNull().default(0),
  createdAt: createdAt(),
});

/**
 * An immutable layer version: a zip in the code store. Deleting one only sets deleted_at: function
 * versions published with it keep running it (Lambda's rule), and its code stays while they exist.
 */
export const layerVersions = pgTable(
  "layer_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    layerId: uuid("layer_id")
      .notNull()
      .references(() => layers.id, { onDelete: "cascade" }),
    layerName: text("layer_name").notNull(),
    version: integer("version").notNull(),
    codeSha256: text("code_sha256").notNull(),
    codeSize: integer("code_size").notNull(),
    unzippedSize: bigint("unzipped_size", { mode: "number" }).notNull(),
    codeLocation: text("code_location").notNull(),
    compatibleRuntimes: jsonb("compatible_runtimes").$type<RuntimeId[]>().notNull().default([]),
    description: text("description").notNull().default(""),
    createdAt: createdAt(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [unique("layer_versions_layer_id_version_unique").on(t.layerId, t.version), index("layer_versions_layer_name_version_idx").on(t.layerName, t.version)],
);

export const functionAliases = pgTable(
  "function_aliases",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    functionId: uuid("function_id")
      .notNull()
      .references(() => functions.id, { onDelete: "cascade" }),
    functionName: text("function_name").notNull(),
    name: text("name").notNull(),
    version: integer("version").notNull(),
    routingConfig: jsonb("routing_config")
      .$type<RoutingConfig>()
      .notNull()
      .default({ additionalVersionWeights: {} }),
    description: text("description").notNull().default(""),
    /** A protected alias changes only through a deployment approved by another principal. */
    protected: boolean("protected").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique("function_aliases_function_id_name_unique").on(t.functionId, t.name),
    index("function_aliases_function_name_name_idx").on(t.functionName, t.name),
  ],
);

export const deployments = pgTable(
  "deployments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    functionName: text("function_name").notNull(),
    alias: text("alias").notNull(),
    fromVersion: integer("from_version"),
    toVersion: integer("to_version").notNull(),
    strategy: text("strategy").$type<DeploymentStrategy>().notNull(),
    config: jsonb("config").$type<JsonObject>().notNull().default({}),
    analysis: jsonb("analysis").$type<JsonObject>().notNull().default({}),
    status: text("status").$type<DeploymentStatus>().notNull(),
    phase: text("phase").notNull(),
    progress: integer("progress").notNull().default(0),
    /** Version number (string key) → traffic share, as last applied to the alias. */
    currentWeights: jsonb("current_weights").$type<Record<string, number>>().notNull().default({}),
    /** The alias as it was before the deployment started, so a rollback can restore it exactly. */
    aliasBefore: jsonb("alias_before").$type<JsonObject>(),
    /** Step within the phase (Linear/Rolling increments); with `phase` it determines the planned weights. */
    step: integer("step").notNull().default(0),
    /** When the current phase or step began: step timers resume from here after a restart. */
    phaseStartedAt: timestamp("phase_started_at", { withTimezone: true }),
    pausedAt: timestamp("paused_at", { withTimezone: true }),
    /** Facts fixed when traffic starts (runner count, warm capacity, traffic start time). */
    plan: jsonb("plan").$type<JsonObject>().notNull().default({}),
    /** Pre- and post-traffic hook functions. */
    hooks: jsonb("hooks").$type<JsonObject>().notNull().default({}),
    /** A command from the API waiting for the rollout leader; null when none. */
    command: jsonb("command").$type<DeploymentCommand>(),
    /**
     * The leader-lease fencing token of the last orchestrator write. Orchestrator writes require
     * their token to be at least this, so a deposed leader's late write changes nothing.
     */
    fenceToken: bigint("fence_token", { mode: "number" }).notNull().default(0),
    reason: text("reason"),
    createdBy: text("created_by"),
    /**
     * Approval of a deployment to a protected alias: {requiredBy?, expiresAt, approvedBy?,
     * approvedAt?, rejectedBy?, rejectedAt?, reason?}; null when no approval is needed.
     */
    approval: jsonb("approval").$type<JsonObject>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  // "Is there an active deployment on this alias?" is asked before every new rollout.
  (t) => [index("deployments_function_alias_status_idx").on(t.functionName, t.alias, t.status)],
);

export const deploymentEvents = pgTable(
  "deployment_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    deploymentId: uuid("deployment_id")
      .notNull()
      .references(() => deployments.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    type: text("type").notNull(),
    fromStatus: text("from_status").$type<DeploymentStatus>(),
    toStatus: text("to_status").$type<DeploymentStatus>(),
    weights: jsonb("weights").$type<Record<string, number>>(),
    reason: text("reason"),
    data: jsonb("data").$type<JsonObject>(),
  },
  (t) => [index("deployment_events_deployment_id_idx").on(t.deploymentId, t.id)],
);

/**
 * One row: a random id of this database. It scopes the rollout orchestrator's keys in the state
 * store (leader lease, metric windows), so several environments or test runs can share one Redis.
 */
export const clusterIdentity = pgTable("cluster_identity", {
  id: integer("id").primaryKey().default(1),
  clusterId: uuid("cluster_id").notNull().defaultRandom(),
  createdAt: createdAt(),
});

export const runnerNodes = pgTable("runner_nodes", {
  id: text("id").primaryKey(),
  pool: text("pool").notNull(),
  labels: jsonb("labels").$type<Record<string, string>>().notNull().default({}),
  address: text("address").notNull(),
  backend: text("backend").notNull(),
  capacity: jsonb("capacity").$type<JsonObject>().notNull().default({}),
  status: text("status").notNull(),
  lastHeartbeatAt: timestamp("last_heartbeat_at", { withTimezone: true }).notNull().defaultNow(),
  registeredAt: timestamp("registered_at", { withTimezone: true }).notNull().defaultNow(),
  metadata: jsonb("metadata").$type<JsonObject>().notNull().default({}),
});

export const triggers = pgTable(
  "triggers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    functionName: text("function_name").notNull(),
    type: text("type").$type<TriggerType>().notNull(),
    /** Version, alias or $LATEST the trigger invokes (an alias is what users should point at). */
    qualifier: text("qualifier").notNull().default("$LATEST"),
    config: jsonb("config").$type<JsonObject>().notNull().default({}),
    enabled: boolean("enabled").notNull().default(true),
    executionCount: bigint("execution_count", { mode: "number" }).notNull().default(0),
    failureCount: bigint("failure_count", { mode: "number" }).notNull().default(0),
    lastExecutedAt: timestamp("last_executed_at", { withTimezone: true }),
    lastError: text("last_error"),
    /**
     * Scheduled triggers: the last tick fired (its scheduled time, not when it ran). Advanced with
     * a compare-and-set by the leader, so a leader change neither skips nor doubles a tick.
     */
    lastFiredTick: timestamp("last_fired_tick", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("triggers_function_name_idx").on(t.functionName)],
);

export const apiKeys = pgTable("api_keys", {
  /** The public key id (the access key id in SigV4). */
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  secretHash: text("secret_hash").notNull(),
  // SigV4 verification needs the secret itself, so it is stored encrypted, not only hashed.
  secretEnc: text("secret_enc").notNull(),
  role: text("role").notNull().default("admin"),
  /** Function-name patterns (`orders-*`) the key is limited to; null means every function. */
  functions: jsonb("functions").$type<string[]>(),
  /** May approve deployments to protected aliases (admins always may). */
  canApprove: boolean("can_approve").notNull().default(false),
  /** Per-key request rate limit ({rps, burst}); null means the server default. */
  rateLimit: jsonb("rate_limit").$type<JsonObject>(),
  createdBy: text("created_by"),
  createdAt: createdAt(),
  expiresAt: timestamp("expires_at", { withTimezone: true }),
  lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
  revokedAt: timestamp("revoked_at", { withTimezone: true }),
});

export const auditLogs = pgTable(
  "audit_logs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    resourceType: text("resource_type").notNull(),
    resourceId: text("resource_id").notNull(),
    before: jsonb("before").$type<unknown>(),
    after: jsonb("after").$type<unknown>(),
    requestId: text("request_id"),
  },
  (t) => [
    index("audit_logs_resource_idx").on(t.resourceType, t.resourceId, t.id),
    // The audit API filters by actor and by time, newest first.
    index("audit_logs_actor_idx").on(t.actor, t.id),
    index("audit_logs_at_idx").on(t.at),
  ],
);

/**
 * Function log lines: what a function wrote (stdout, stderr) and the platform's framing lines
 * (START, END, REPORT, truncation markers; stream `platform`), one row per line or per invocation's
 * lines in a runner's batch (stream `pack`). Written in batches
 * off the invocation path; pruned by age (per-function retention) and by bytes (per-function cap).
 * `id` orders lines and is the cursor of the logs API.
 */
export const functionLogs = pgTable(
  "function_logs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    functionName: text("function_name").notNull(),
    version: integer("version").notNull(),
    /** Null for lines written outside any invocation (init, background timers). */
    requestId: text("request_id"),
    instanceId: text("instance_id").notNull(),
    at: timestamp("at", { withTimezone: true, precision: 3 }).notNull(),
    /** `pack`: several lines of one invocation in `message` (protocol/function-log-rows.ts). */
    stream: text("stream").$type<"stdout" | "stderr" | "platform" | "pack">().notNull(),
    message: text("message").notNull(),
  },
  (t) => [
    index("function_logs_function_id_idx").on(t.functionName, t.id),
    index("function_logs_request_id_idx").on(t.functionName, t.requestId),
    index("function_logs_at_idx").on(t.at),
  ],
);

/**
 * Usage per function, version and hour: the durable aggregate behind the usage API and cost
 * estimates. Rows are upserted by adding counts, so several control-plane replicas can write.
 */
export const usageHourly = pgTable(
  "usage_hourly",
  {
    functionName: text("function_name").notNull(),
    version: integer("version").notNull(),
    /** Start of the UTC hour. */
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    invocations: bigint("invocations", { mode: "number" }).notNull().default(0),
    errors: bigint("errors", { mode: "number" }).notNull().default(0),
    coldStarts: bigint("cold_starts", { mode: "number" }).notNull().default(0),
    /** Sum of billed milliseconds (each invocation's duration rounded up to 1 ms). */
    billedMs: bigint("billed_ms", { mode: "number" }).notNull().default(0),
    /** Sum of billed seconds × memory in GB (MB / 1024). */
    gbSeconds: doublePrecision("gb_seconds").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.functionName, t.version, t.hour] }), index("usage_hourly_hour_idx").on(t.hour)],
);

/**
 * Asynchronous and trigger-driven invocations: one row per request id (the idempotency key), with
 * each attempt, the status and the result or error (truncated). Synchronous invocations are not
 * recorded here (their caller has the answer).
 */
export const invocations = pgTable(
  "invocations",
  {
    requestId: text("request_id").primaryKey(),
    functionName: text("function_name").notNull(),
    qualifier: text("qualifier"),
    /** The version that ran the last attempt. */
    version: integer("version"),
    /** `async`, or the id of the trigger that delivered the event. */
    source: text("source").notNull(),
    status: text("status").$type<InvocationStatus>().notNull(),
    /** `[{ at, durationMs?, error?: { errorType, errorMessage } }]`, oldest first. */
    attempts: jsonb("attempts").$type<JsonObject[]>().notNull().default([]),
    /**
     * The handler's result (truncated) when it succeeded. Until the record is final, the embedded
     * async queue keeps the queued event here (so it survives a restart); the API shows no result then.
     */
    result: text("result"),
    /** `{ errorType, errorMessage }` of the last failure. */
    error: jsonb("error").$type<JsonObject>(),
    /** Where a failed event went (dead-letter or on-failure destination), when it went somewhere. */
    destination: text("destination"),
    /**
     * At-least-once duplicates: the request id queued or delivered again after it finished (not run
     * again), and possible repeated runs (taken over while Running from a dead replica; an attempt
     * lost with its runner).
     */
    duplicates: integer("duplicates").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    index("invocations_function_created_idx").on(t.functionName, t.createdAt),
    index("invocations_status_idx").on(t.status),
  ],
);
