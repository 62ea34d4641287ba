/**
 * Control-plane configuration: a pure function of the environment, validated by zod.
 * Unset stores mean the embedded adapters (PGlite, in-process state, a code directory).
 * Runner settings (RUNNER_*, also those of the embedded runner) belong to the runner's own config
 * module; `hotswap server` loads both (cli/server-settings.ts). No other module reads process.env.
 */
import { z } from "zod";
import { emptyToUndefined, intInRange, isSet, optionalString, optionalUrl, s3Issues } from "../../shared/config/env-schema.ts";
import { tracingSettings, type TracingSettings } from "../../shared/tracing/settings.ts";

/** OTEL_SERVICE_NAME when unset. */
export const CONTROL_PLANE_SERVICE_NAME = "hotswap-control-plane";
import { parseDuration } from "../../protocol/api/durations.ts";
import type { JwtSettings } from "./auth/jwt-verifier.ts";

export const API_KEY_PATTERN = /^hs_([a-z0-9]{4,32})_([A-Za-z0-9]{32,})$/;

/** A price: a finite number, zero or more. */
function price(def: number) {
  return z.preprocess(emptyToUndefined, z.coerce.number({ message: "must be a number such as 0.0000166667" }).finite().min(0).default(def));
}

const ConfigSchema = z
  .object({
    PORT: intInRange(8080, 0, 65535),
    HOST: z.preprocess(emptyToUndefined, z.string().default("127.0.0.1")),
    DATABASE_URL: optionalUrl(["postgres:", "postgresql:"]),
    REDIS_URL: optionalUrl(["redis:", "rediss:"]),
    S3_ENDPOINT: optionalUrl(["http:", "https:"]),
    S3_BUCKET: optionalString,
    S3_ACCESS_KEY_ID: optionalString,
    S3_SECRET_ACCESS_KEY: optionalString,
    S3_REGION: z.preprocess(emptyToUndefined, z.string().default("us-east-1")),
    HOTSWAP_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default("./.hotswap")),
    HOTSWAP_ADMIN_KEY: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(API_KEY_PATTERN, "must look like hs_<id>_<secret>: id is 4-32 of [a-z0-9], secret is 32+ of [A-Za-z0-9]")
        .optional(),
    ),
    /** A viewer API key ensured at start, for Prometheus to scrape GET /metrics with (role viewer has metrics:read). */
    HOTSWAP_METRICS_KEY: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(API_KEY_PATTERN, "must look like hs_<id>_<secret>: id is 4-32 of [a-z0-9], secret is 32+ of [A-Za-z0-9]")
        .optional(),
    ),
    /** A deployer API key ensured at start (what `pulumi up` hands function stacks instead of the admin key). */
    HOTSWAP_DEPLOYER_KEY: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(API_KEY_PATTERN, "must look like hs_<id>_<secret>: id is 4-32 of [a-z0-9], secret is 32+ of [A-Za-z0-9]")
        .optional(),
    ),
    /** Key that encrypts API key secrets at rest (needed to verify SigV4). Generated into the data dir when unset. */
    HOTSWAP_SECRET_KEY: z.preprocess(emptyToUndefined, z.string().min(32, "must be at least 32 characters").optional()),
    /** Earlier HOTSWAP_SECRET_KEY values, comma-separated: still opened (never used to seal) until every value is re-sealed. */
    HOTSWAP_PREVIOUS_SECRET_KEYS: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .transform((s) => s.split(",").map((k) => k.trim()).filter((k) => k !== ""))
        .pipe(z.array(z.string().min(32, "every key must be at least 32 characters")))
        .default([]),
    ),
    LOG_LEVEL: z.preprocess(
      emptyToUndefined,
      z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    ),
    /** Seconds SIGTERM waits for in-flight invocations before stopping instances anyway. */
    HOTSWAP_SHUTDOWN_GRACE: intInRange(30, 0, 3600),
    /** Shared secret presented to `hotswap runner` processes (fleet mode); the runners must have the same. */
    HOTSWAP_CLUSTER_SECRET: z.preprocess(emptyToUndefined, z.string().min(16, "must be at least 16 characters").optional()),
    /** Seconds an unreferenced code zip is kept after its upload (its version row may not be committed yet). */
    HOTSWAP_CODE_GC_GRACE: intInRange(3600, 0, 30 * 24 * 3600),
    /** Seconds between passes of the code collector over the code store. */
    HOTSWAP_CODE_GC_INTERVAL: intInRange(3600, 1, 7 * 24 * 3600),
    /** Prefix of every state-store key and channel, so several clusters can share one Redis. */
    HOTSWAP_REDIS_PREFIX: z.preprocess(emptyToUndefined, z.string().max(128).default("")),
    /** Milliseconds between writes of the usage aggregate (usage_hourly). */
    HOTSWAP_USAGE_FLUSH_MS: intInRange(5000, 100, 300_000),
    /** Prices of the usage API's cost estimate (Lambda's x86 on-demand list prices by default). */
    HOTSWAP_PRICE_PER_GB_SECOND: price(0.0000166667),
    HOTSWAP_PRICE_PER_MILLION_REQUESTS: price(0.2),
    HOTSWAP_PRICE_CURRENCY: z.preprocess(emptyToUndefined, z.string().regex(/^[A-Z]{3}$/, "must be a 3-letter ISO 4217 code such as USD or EUR").default("USD")),
    /** Port of the HTTP gateway listener serving Http trigger routes at their bare paths; unset: only /fn on PORT. */
    HOTSWAP_GATEWAY_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).optional()),
    /** Days function log lines are kept unless the function sets logRetentionDays. */
    HOTSWAP_LOG_RETENTION_DAYS: intInRange(7, 1, 3650),
    /** Bytes of log lines kept per function unless it sets logMaxBytes (oldest dropped first). */
    HOTSWAP_LOG_MAX_BYTES: intInRange(100 * 1024 * 1024, 65_536, 1_099_511_627_776),
    /** Asynchronous invocations one control-plane replica's workers run at once. */
    HOTSWAP_ASYNC_CONCURRENCY: intInRange(16, 1, 1000),
    /** Delays before the first and second retry of a failed asynchronous invocation (Lambda: about 1 and 2 minutes). */
    HOTSWAP_ASYNC_RETRY_DELAYS: durationList("PT1M,PT2M", 2),
    /** An async event (or its record) untouched this long belongs to a dead worker and is taken over. */
    HOTSWAP_ASYNC_STALE_AFTER: duration("PT30S", 100),
    /** The async queue's stream is trimmed (approximately) to this many entries. */
    HOTSWAP_ASYNC_QUEUE_MAX_LEN: intInRange(1_000_000, 1000, 100_000_000),
    /** How often the schedule leader looks for due ticks. */
    HOTSWAP_SCHEDULE_INTERVAL: duration("PT1S", 10),
    /** A tick later than this is missed (skipped) unless its trigger asks for catch-up. */
    HOTSWAP_SCHEDULE_MISFIRE_GRACE: duration("PT1M", 0),
    /** Redis that Stream triggers with source "redis" read; unset: REDIS_URL. */
    HOTSWAP_STREAM_REDIS_URL: optionalUrl(["redis:", "rediss:"]),
    /** How long a deployment to a protected alias waits for approval before it fails. */
    HOTSWAP_APPROVAL_TIMEOUT: duration("PT24H", 1000),
    /** Requests per second per API key (or JWT subject) unless the key sets its own; 0: no default limit. */
    HOTSWAP_RATE_LIMIT_KEY_RPS: rate(0),
    HOTSWAP_RATE_LIMIT_KEY_BURST: burst(),
    /** Invocations per second per function unless the function sets its own; 0: no default limit. */
    HOTSWAP_RATE_LIMIT_FUNCTION_RPS: rate(0),
    HOTSWAP_RATE_LIMIT_FUNCTION_BURST: burst(),
    /** Failed authentications per second per source address (then 429 before any key lookup); 0: unlimited. */
    HOTSWAP_RATE_LIMIT_AUTH_FAILURE_RPS: rate(1),
    HOTSWAP_RATE_LIMIT_AUTH_FAILURE_BURST: burst(),
    /** PEM files: with both, the API port and the gateway port serve HTTPS (reloaded on SIGHUP). */
    HOTSWAP_TLS_CERT: optionalString,
    HOTSWAP_TLS_KEY: optionalString,
    /** PEM file of the CA that signed the runners' certificates (runners serving HTTPS). */
    HOTSWAP_RUNNER_TLS_CA: optionalString,
    /** The name runners' certificates are checked against, instead of the address each advertises (a pod IP, say). */
    HOTSWAP_RUNNER_TLS_SERVERNAME: z
      .string()
      .regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i, "must be a DNS name, e.g. runner.hotswap.internal")
      .optional(),
    /** Queue triggers with source "redis" read this Redis (else REDIS_URL). */
    HOTSWAP_QUEUE_REDIS_URL: optionalUrl(["redis:", "rediss:"]),
    /** Queue triggers with source "rabbitmq" connect here. */
    HOTSWAP_AMQP_URL: optionalUrl(["amqp:", "amqps:"]),
    /** NATS server (JetStream) that Queue and Stream triggers with source "nats" use; unset: such triggers are refused. */
    HOTSWAP_NATS_URL: optionalUrl(["nats:", "tls:"]),
    /** A failed queue message's first retry waits this long; each further retry doubles it (up to 15 minutes). */
    HOTSWAP_QUEUE_RETRY_DELAY: duration("PT1S", 10),
    /** A queue message held this long by a silent consumer (a dead replica) is delivered again. */
    HOTSWAP_QUEUE_STALE_AFTER: duration("PT30S", 100),
    /** JWT bearer tokens (platform/src/auth/jwt-verifier.ts): HS256 secret, iss/aud checks, JWKS for RS256/ES256, roles claim, clock skew. */
    HOTSWAP_JWT_SECRET: z.preprocess(emptyToUndefined, z.string().refine((s) => Buffer.byteLength(s, "utf8") >= 32, "must be at least 32 bytes (HS256 needs a key as long as its hash)").optional()),
    HOTSWAP_JWT_ISSUER: optionalString,
    HOTSWAP_JWT_AUDIENCE: optionalString,
    HOTSWAP_JWT_JWKS_URL: optionalUrl(["http:", "https:"]),
    HOTSWAP_JWT_ROLES_CLAIM: z.preprocess(emptyToUndefined, z.string().max(256).default("roles")),
    HOTSWAP_JWT_CLOCK_SKEW: intInRange(30, 0, 3600),
  });

/** A rate in requests per second; 0 turns the limit off. */
function rate(def: number) {
  return z.preprocess(emptyToUndefined, z.coerce.number({ message: "must be a number of requests per second, e.g. 50 (0: off)" }).finite().min(0).max(1_000_000).default(def));
}

/** A burst (bucket size); unset: twice the rate, at least 1. */
function burst() {
  return z.preprocess(emptyToUndefined, z.coerce.number({ message: "must be a whole number of requests, e.g. 100" }).int().min(1).max(1_000_000).optional());
}

/** The limit for an _RPS/_BURST pair; undefined when the rate is 0 (off). */
function tokenRate(rps: number, burst: number | undefined): { rps: number; burst: number } | undefined {
  return rps > 0 ? { rps, burst: burst ?? Math.max(1, Math.ceil(rps * 2)) } : undefined;
}

/** An ISO-8601 duration (`PT30S`) in milliseconds, at least `minMs`. */
function duration(def: string, minMs: number) {
  return durations(def, 1, (ms) => ms >= minMs, `must be an ISO-8601 duration of at least ${minMs} ms, e.g. ${def}`).transform((ms) => ms[0]!);
}

/** `count` comma-separated ISO-8601 durations, in milliseconds. */
function durationList(def: string, count: number) {
  return durations(def, count, () => true, `must be ${count} comma-separated ISO-8601 durations, e.g. ${def}`);
}

function durations(def: string, count: number, valid: (ms: number) => boolean, message: string) {
  return z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(def)
      .transform((v, ctx) => {
        const ms = v.split(",").map((p) => parseDuration(p.trim()));
        if (ms.length !== count || ms.some((m) => m === undefined || !valid(m))) {
          ctx.addIssue({ code: "custom", message });
          return z.NEVER;
        }
        return ms as number[];
      }),
  );
}

/** Rules that span several variables; checked on the raw values so they are reported together with field errors. */
function crossFieldIssues(env: Record<string, string | undefined>): string[] {
  const issues = [...s3Issues(env), ...tracingSettings(env, CONTROL_PLANE_SERVICE_NAME).issues, ...previousKeyIssues(env)];
  if (isSet(env, "HOTSWAP_TLS_CERT") !== isSet(env, "HOTSWAP_TLS_KEY")) {
    issues.push(`${isSet(env, "HOTSWAP_TLS_CERT") ? "HOTSWAP_TLS_KEY" : "HOTSWAP_TLS_CERT"}: HOTSWAP_TLS_CERT and HOTSWAP_TLS_KEY must be set together`);
  }
  return issues;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  database: { kind: "postgres"; url: string } | { kind: "pglite"; dir: string };
  state: { kind: "redis"; url: string; keyPrefix?: string } | { kind: "memory" };
  codeStore:
    | { kind: "s3"; endpoint: string; bucket: string; region: string; accessKeyId?: string; secretAccessKey?: string }
    | { kind: "fs"; dir: string };
  adminKey?: string;
  secretKey?: string;
  /** HOTSWAP_PREVIOUS_SECRET_KEYS: keys that only open sealed values (key rotation); empty when unset. */
  previousSecretKeys: string[];
  /** HOTSWAP_METRICS_KEY: a viewer key ensured at start (Prometheus's bearer token for /metrics). */
  metricsKey?: string;
  /** HOTSWAP_DEPLOYER_KEY: a deployer key ensured at start (the platform stack's `deployerKey` output). */
  deployerKey: string | undefined;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** HOTSWAP_SHUTDOWN_GRACE: how long a shutdown waits for in-flight invocations. */
  shutdownGraceMs: number;
  /** HOTSWAP_CODE_GC_GRACE / HOTSWAP_CODE_GC_INTERVAL: the code collector (platform/src/functions/code-gc.ts). */
  codeGc: { graceMs: number; intervalMs: number };
  /** HOTSWAP_CLUSTER_SECRET: needed to route to a runner fleet (`hotswap server` without --embedded-runner). */
  clusterSecret?: string;
  /** Usage and cost: HOTSWAP_USAGE_FLUSH_MS and the HOTSWAP_PRICE_* settings of the estimate. */
  usage: { flushIntervalMs: number; pricing: { currency: string; pricePerGbSecond: number; pricePerMillionRequests: number } };
  /** HOTSWAP_GATEWAY_PORT: where Http trigger routes also answer at their bare paths (0: any free port). */
  gatewayPort?: number;
  /** OpenTelemetry traces (OTEL_EXPORTER_OTLP_*ENDPOINT, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER*, OTEL_SDK_DISABLED). */
  tracing: TracingSettings;
  /** Function log retention defaults (HOTSWAP_LOG_RETENTION_DAYS, HOTSWAP_LOG_MAX_BYTES); a function may override both. */
  logs: { retentionDays: number; maxBytes: number };
  /** Asynchronous invocation: workers, retries, takeover of a dead replica's events. */
  async: {
    /** HOTSWAP_ASYNC_CONCURRENCY. */
    concurrency: number;
    /** HOTSWAP_ASYNC_RETRY_DELAYS: before the first and the second retry. */
    retryDelaysMs: number[];
    /** HOTSWAP_ASYNC_STALE_AFTER. */
    staleAfterMs: number;
    /** HOTSWAP_ASYNC_QUEUE_MAX_LEN. */
    queueMaxLen: number;
  };
  /** JWT bearer tokens (HOTSWAP_JWT_*); undefined when neither HOTSWAP_JWT_SECRET nor HOTSWAP_JWT_JWKS_URL is set. */
  jwt: JwtSettings | undefined;
  /** Scheduled triggers. */
  schedules: {
    /** HOTSWAP_SCHEDULE_INTERVAL. */
    intervalMs: number;
    /** HOTSWAP_SCHEDULE_MISFIRE_GRACE. */
    misfireGraceMs: number;
  };
  /** Stream triggers' brokers: HOTSWAP_STREAM_REDIS_URL (else REDIS_URL) and HOTSWAP_NATS_URL; unset ones refuse such triggers. */
  streams: { redisUrl?: string; natsUrl?: string };
  /** HOTSWAP_APPROVAL_TIMEOUT: a deployment to a protected alias fails when nobody approved it within this. */
  approvalTimeoutMs: number;
  /** HOTSWAP_RATE_LIMIT_*: server defaults (absent: no limit); a key or function may set its own. */
  rateLimits: { key?: { rps: number; burst: number }; function?: { rps: number; burst: number }; authFailures?: { rps: number; burst: number } };
  /** HOTSWAP_TLS_CERT / HOTSWAP_TLS_KEY: serve HTTPS with these PEM files. */
  tls?: { certFile: string; keyFile: string };
  /** HOTSWAP_RUNNER_TLS_CA: PEM file of the CA the control plane trusts for runners' HTTPS. */
  runnerTlsCa?: string;
  /** HOTSWAP_RUNNER_TLS_SERVERNAME: check runners' certificates against this name, not their advertised address. */
  runnerTlsServername?: string;
  /** Queue triggers: broker connections (unset: that source is refused) and redelivery timing. */
  queues: {
    /** HOTSWAP_QUEUE_REDIS_URL, else REDIS_URL. */
    redisUrl?: string;
    /** HOTSWAP_AMQP_URL. */
    amqpUrl?: string;
    /** HOTSWAP_NATS_URL. */
    natsUrl?: string;
    /** HOTSWAP_QUEUE_RETRY_DELAY. */
    retryDelayMs: number;
    /** HOTSWAP_QUEUE_STALE_AFTER. */
    staleAfterMs: number;
  };
}

/** Previous keys only make sense beside a configured current key (a key file lists its previous keys itself). */
function previousKeyIssues(env: Record<string, string | undefined>): string[] {
  if (!env.HOTSWAP_PREVIOUS_SECRET_KEYS?.trim() || env.HOTSWAP_SECRET_KEY?.trim()) return [];
  return ["HOTSWAP_PREVIOUS_SECRET_KEYS: needs HOTSWAP_SECRET_KEY (the current key) beside it; without HOTSWAP_SECRET_KEY the keys live in <data dir>/secret.key, one per line"];
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parse and validate the environment. Throws ConfigError naming every invalid field. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = ConfigSchema.safeParse(env);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)),
    ...crossFieldIssues(env),
  ];
  if (!parsed.success || issues.length > 0) throw new ConfigError(issues);
  const c = parsed.data;
  const dataDir = c.HOTSWAP_DATA_DIR;
  return {
    port: c.PORT,
    host: c.HOST,
    dataDir,
    database: c.DATABASE_URL ? { kind: "postgres", url: c.DATABASE_URL } : { kind: "pglite", dir: `${dataDir}/pglite` },
    state: c.REDIS_URL ? { kind: "redis", url: c.REDIS_URL, ...(c.HOTSWAP_REDIS_PREFIX ? { keyPrefix: c.HOTSWAP_REDIS_PREFIX } : {}) } : { kind: "memory" },
    codeStore:
      c.S3_ENDPOINT && c.S3_BUCKET
        ? {
            kind: "s3",
            endpoint: c.S3_ENDPOINT,
            bucket: c.S3_BUCKET,
            region: c.S3_REGION,
            accessKeyId: c.S3_ACCESS_KEY_ID,
            secretAccessKey: c.S3_SECRET_ACCESS_KEY,
          }
        : { kind: "fs", dir: `${dataDir}/code` },
    adminKey: c.HOTSWAP_ADMIN_KEY,
    secretKey: c.HOTSWAP_SECRET_KEY,
    previousSecretKeys: c.HOTSWAP_PREVIOUS_SECRET_KEYS,
    metricsKey: c.HOTSWAP_METRICS_KEY,
    deployerKey: c.HOTSWAP_DEPLOYER_KEY,
    logLevel: c.LOG_LEVEL,
    shutdownGraceMs: c.HOTSWAP_SHUTDOWN_GRACE * 1000,
    clusterSecret: c.HOTSWAP_CLUSTER_SECRET,
    usage: {
      flushIntervalMs: c.HOTSWAP_USAGE_FLUSH_MS,
      pricing: { currency: c.HOTSWAP_PRICE_CURRENCY, pricePerGbSecond: c.HOTSWAP_PRICE_PER_GB_SECOND, pricePerMillionRequests: c.HOTSWAP_PRICE_PER_MILLION_REQUESTS },
    },
    ...(c.HOTSWAP_GATEWAY_PORT !== undefined ? { gatewayPort: c.HOTSWAP_GATEWAY_PORT } : {}),
    tracing: tracingSettings(env, CONTROL_PLANE_SERVICE_NAME).settings,
    logs: { retentionDays: c.HOTSWAP_LOG_RETENTION_DAYS, maxBytes: c.HOTSWAP_LOG_MAX_BYTES },
    async: {
      concurrency: c.HOTSWAP_ASYNC_CONCURRENCY,
      retryDelaysMs: c.HOTSWAP_ASYNC_RETRY_DELAYS,
      staleAfterMs: c.HOTSWAP_ASYNC_STALE_AFTER,
      queueMaxLen: c.HOTSWAP_ASYNC_QUEUE_MAX_LEN,
    },
    schedules: { intervalMs: c.HOTSWAP_SCHEDULE_INTERVAL, misfireGraceMs: c.HOTSWAP_SCHEDULE_MISFIRE_GRACE },
    approvalTimeoutMs: c.HOTSWAP_APPROVAL_TIMEOUT,
    queues: {
      ...(c.HOTSWAP_QUEUE_REDIS_URL || c.REDIS_URL ? { redisUrl: c.HOTSWAP_QUEUE_REDIS_URL ?? c.REDIS_URL } : {}),
      ...(c.HOTSWAP_AMQP_URL ? { amqpUrl: c.HOTSWAP_AMQP_URL } : {}),
      ...(c.HOTSWAP_NATS_URL ? { natsUrl: c.HOTSWAP_NATS_URL } : {}),
      retryDelayMs: c.HOTSWAP_QUEUE_RETRY_DELAY,
      staleAfterMs: c.HOTSWAP_QUEUE_STALE_AFTER,
    },
    codeGc: { graceMs: c.HOTSWAP_CODE_GC_GRACE * 1000, intervalMs: c.HOTSWAP_CODE_GC_INTERVAL * 1000 },
    streams: {
      ...((c.HOTSWAP_STREAM_REDIS_URL ?? c.REDIS_URL) ? { redisUrl: c.HOTSWAP_STREAM_REDIS_URL ?? c.REDIS_URL } : {}),
      ...(c.HOTSWAP_NATS_URL ? { natsUrl: c.HOTSWAP_NATS_URL } : {}),
    },
    rateLimits: rateLimitsOf(c),
    ...(c.HOTSWAP_TLS_CERT && c.HOTSWAP_TLS_KEY ? { tls: { certFile: c.HOTSWAP_TLS_CERT, keyFile: c.HOTSWAP_TLS_KEY } } : {}),
    ...(c.HOTSWAP_RUNNER_TLS_CA ? { runnerTlsCa: c.HOTSWAP_RUNNER_TLS_CA } : {}),
    ...(c.HOTSWAP_RUNNER_TLS_SERVERNAME ? { runnerTlsServername: c.HOTSWAP_RUNNER_TLS_SERVERNAME } : {}),
    jwt:
      c.HOTSWAP_JWT_SECRET !== undefined || c.HOTSWAP_JWT_JWKS_URL !== undefined
        ? {
            ...(c.HOTSWAP_JWT_SECRET !== undefined ? { secret: c.HOTSWAP_JWT_SECRET } : {}),
            ...(c.HOTSWAP_JWT_JWKS_URL !== undefined ? { jwksUrl: c.HOTSWAP_JWT_JWKS_URL } : {}),
            ...(c.HOTSWAP_JWT_ISSUER !== undefined ? { issuer: c.HOTSWAP_JWT_ISSUER } : {}),
            ...(c.HOTSWAP_JWT_AUDIENCE !== undefined ? { audience: c.HOTSWAP_JWT_AUDIENCE } : {}),
            rolesClaim: c.HOTSWAP_JWT_ROLES_CLAIM,
            clockSkewSeconds: c.HOTSWAP_JWT_CLOCK_SKEW,
          }
        : undefined,
  };
}

function rateLimitsOf(c: z.infer<typeof ConfigSchema>): Config["rateLimits"] {
  const key = tokenRate(c.HOTSWAP_RATE_LIMIT_KEY_RPS, c.HOTSWAP_RATE_LIMIT_KEY_BURST);
  const fn = tokenRate(c.HOTSWAP_RATE_LIMIT_FUNCTION_RPS, c.HOTSWAP_RATE_LIMIT_FUNCTION_BURST);
  const authFailures = tokenRate(c.HOTSWAP_RATE_LIMIT_AUTH_FAILURE_RPS, c.HOTSWAP_RATE_LIMIT_AUTH_FAILURE_BURST ?? 20);
  return { ...(key ? { key } : {}), ...(fn ? { function: fn } : {}), ...(authFailures ? { authFailures } : {}) };
}
