/**
 * Control-plane configuration: a pure function of the environment, validated by zod.
 * Unset stores mean the embedded adapters (PGlite, in-process state, a code directory).
 * Runner settings (RUNNER_*, also those of the embedded runner) belong to the runner's own config
 * module; `hotswap server` loads both (cli/server-settings.ts). No other module reads process.env.
 */
import { z } from "zod";
import { emptyToUndefined, intInRange, optionalString, optionalUrl, s3Issues } from "../../shared/config/env-schema.ts";

export const API_KEY_PATTERN = /^hs_([a-z0-9]{4,32})_([A-Za-z0-9]{32,})$/;

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
    /** Key that encrypts API key secrets at rest (needed to verify SigV4). Generated into the data dir when unset. */
    HOTSWAP_SECRET_KEY: z.preprocess(emptyToUndefined, z.string().min(32, "must be at least 32 characters").optional()),
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
  });

/** Rules that span several variables; checked on the raw values so they are reported together with field errors. */
function crossFieldIssues(env: Record<string, string | undefined>): string[] {
  return s3Issues(env);
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
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** HOTSWAP_SHUTDOWN_GRACE: how long a shutdown waits for in-flight invocations. */
  shutdownGraceMs: number;
  /** HOTSWAP_CODE_GC_GRACE / HOTSWAP_CODE_GC_INTERVAL: the code collector (platform/src/functions/code-gc.ts). */
  codeGc: { graceMs: number; intervalMs: number };
  /** HOTSWAP_CLUSTER_SECRET: needed to route to a runner fleet (`hotswap server` without --embedded-runner). */
  clusterSecret?: string;
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
    logLevel: c.LOG_LEVEL,
    shutdownGraceMs: c.HOTSWAP_SHUTDOWN_GRACE * 1000,
    clusterSecret: c.HOTSWAP_CLUSTER_SECRET,
    codeGc: { graceMs: c.HOTSWAP_CODE_GC_GRACE * 1000, intervalMs: c.HOTSWAP_CODE_GC_INTERVAL * 1000 },
  };
}
