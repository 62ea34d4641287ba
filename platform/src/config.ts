/**
 * Control-plane configuration: a pure function of the environment, validated by zod.
 * Unset stores mean the embedded adapters (PGlite, in-process state, a code directory).
 * No other module reads process.env.
 */
import { z } from "zod";

const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const optionalUrl = (protocols: string[]) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine((v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      }, `must be a URL starting with ${protocols.map((p) => p + "//").join(" or ")}`)
      .optional(),
  );
const intInRange = (def: number, min: number, max: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).default(def));

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
    RUNNER_BACKEND: z.preprocess(emptyToUndefined, z.enum(["process", "docker"]).default("process")),
    LOG_LEVEL: z.preprocess(
      emptyToUndefined,
      z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    ),
    /** Seconds an idle instance stays warm before it is stopped. */
    HOTSWAP_IDLE_TIMEOUT: intInRange(300, 1, 86400),
    /** Instances per function version on the embedded runner (unless the function sets less). */
    HOTSWAP_MAX_INSTANCES: intInRange(16, 1, 1000),
    /** Invocations that may wait for an instance per function version before 429. */
    HOTSWAP_QUEUE_SIZE: intInRange(256, 0, 100000),
    /** Milliseconds an invocation waits for capacity before 429. */
    HOTSWAP_QUEUE_TIMEOUT_MS: intInRange(10000, 0, 600000),
    /** Seconds SIGTERM waits for in-flight invocations before stopping instances anyway. */
    HOTSWAP_SHUTDOWN_GRACE: intInRange(30, 0, 3600),
  })
  .superRefine((c, ctx) => {
    if (c.S3_ENDPOINT && !c.S3_BUCKET) {
      ctx.addIssue({ code: "custom", path: ["S3_BUCKET"], message: "is required when S3_ENDPOINT is set" });
    }
    if (c.S3_BUCKET && !c.S3_ENDPOINT) {
      ctx.addIssue({ code: "custom", path: ["S3_ENDPOINT"], message: "is required when S3_BUCKET is set" });
    }
    if (Boolean(c.S3_ACCESS_KEY_ID) !== Boolean(c.S3_SECRET_ACCESS_KEY)) {
      ctx.addIssue({
        code: "custom",
        path: [c.S3_ACCESS_KEY_ID ? "S3_SECRET_ACCESS_KEY" : "S3_ACCESS_KEY_ID"],
        message: "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together",
      });
    }
  });

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  database: { kind: "postgres"; url: string } | { kind: "pglite"; dir: string };
  state: { kind: "redis"; url: string } | { kind: "memory" };
  codeStore:
    | { kind: "s3"; endpoint: string; bucket: string; region: string; accessKeyId?: string; secretAccessKey?: string }
    | { kind: "fs"; dir: string };
  adminKey?: string;
  secretKey?: string;
  runnerBackend: "process" | "docker";
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  idleTimeoutMs: number;
  maxInstances: number;
  queueSize: number;
  queueTimeoutMs: number;
  shutdownGraceMs: number;
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
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`));
  }
  const c = parsed.data;
  const dataDir = c.HOTSWAP_DATA_DIR;
  return {
    port: c.PORT,
    host: c.HOST,
    dataDir,
    database: c.DATABASE_URL ? { kind: "postgres", url: c.DATABASE_URL } : { kind: "pglite", dir: `${dataDir}/pglite` },
    state: c.REDIS_URL ? { kind: "redis", url: c.REDIS_URL } : { kind: "memory" },
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
    runnerBackend: c.RUNNER_BACKEND,
    logLevel: c.LOG_LEVEL,
    idleTimeoutMs: c.HOTSWAP_IDLE_TIMEOUT * 1000,
    maxInstances: c.HOTSWAP_MAX_INSTANCES,
    queueSize: c.HOTSWAP_QUEUE_SIZE,
    queueTimeoutMs: c.HOTSWAP_QUEUE_TIMEOUT_MS,
    shutdownGraceMs: c.HOTSWAP_SHUTDOWN_GRACE * 1000,
  };
}
