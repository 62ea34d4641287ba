/**
 * Control-plane configuration: a pure function of the environment, validated by zod.
 * Unset stores mean the embedded adapters (PGlite, in-process state, a code directory).
 * No other module reads process.env.
 */
import { z } from "zod";
import { RUNTIME_IDS, type RuntimeId } from "../../protocol/runtimes.ts";

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
    /** Shared secret presented to `hotswap runner` processes (fleet mode); the runners must have the same. */
    HOTSWAP_CLUSTER_SECRET: z.preprocess(emptyToUndefined, z.string().min(16, "must be at least 16 characters").optional()),
    /** Prefix of every state-store key and channel, so several clusters can share one Redis. */
    HOTSWAP_REDIS_PREFIX: z.preprocess(emptyToUndefined, z.string().max(128).default("")),
    /** The embedded runner's id; the docker backend labels its containers with it and reaps orphans of it at start-up. */
    HOTSWAP_RUNNER_ID: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, "must be 1-64 of [a-zA-Z0-9_.-], starting with a letter or digit")
        .optional(),
    ),
    /** Docker Engine API for RUNNER_BACKEND=docker; unset means unix:///var/run/docker.sock. */
    DOCKER_HOST: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^(unix:\/\/\/.+|\/.+|tcp:\/\/[^/]+)$/, "must be unix:///path/to/docker.sock or tcp://host:port")
        .optional(),
    ),
    /** Network of function containers: host, bridge, or a user-defined network name. */
    HOTSWAP_DOCKER_NETWORK: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "must be host, bridge or the name of a Docker network")
        .default("bridge"),
    ),
    /** Address containers use to reach the runner (fast channel and Runtime API). Default: 127.0.0.1 on host, the network's gateway otherwise. */
    HOTSWAP_RUNTIME_API_HOST: optionalString,
    /** Address the runner's listeners for containers bind. Default: HOTSWAP_RUNTIME_API_HOST when it is an IP address, else 0.0.0.0. */
    HOTSWAP_RUNTIME_API_BIND: optionalString,
    /** Prewarmed stem instances per runtime and memory size. Default 1 on the docker backend, 0 on process. */
    HOTSWAP_STEM_POOL_SIZE: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(64).optional()),
    /** Memory sizes (MB, comma-separated) to keep stems for; a stem serves only functions of its size. */
    HOTSWAP_STEM_MEMORY: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^\d+(\s*,\s*\d+)*$/, "must be memory sizes in MB separated by commas, e.g. 128,256")
        .default("256"),
    ),
    /** Runtimes (comma-separated) to keep stems of. Default: every node and python runtime the backend can run. */
    HOTSWAP_STEM_RUNTIMES: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .refine(
          (v) => v.split(",").every((r) => (RUNTIME_IDS as readonly string[]).includes(r.trim())),
          `must be runtime ids separated by commas, from: ${RUNTIME_IDS.join(", ")}`,
        )
        .optional(),
    ),
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
  runnerBackend: "process" | "docker";
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  idleTimeoutMs: number;
  maxInstances: number;
  queueSize: number;
  queueTimeoutMs: number;
  shutdownGraceMs: number;
  /** HOTSWAP_CLUSTER_SECRET: needed to route to a runner fleet (`hotswap server` without --embedded-runner). */
  clusterSecret?: string;
  /** The embedded runner's id (HOTSWAP_RUNNER_ID); unset: embedded-<hostname>. */
  runnerId?: string;
  /** Docker backend settings (RUNNER_BACKEND=docker). */
  docker: {
    /** DOCKER_HOST; unset means unix:///var/run/docker.sock. */
    host?: string;
    /** host, bridge or a network name. */
    network: string;
    runtimeApiHost?: string;
    runtimeApiBind?: string;
  };
  /** The embedded runner's prewarmed stems. */
  stems: { size: number; memorySizes: number[]; runtimes?: RuntimeId[] };
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
    runnerBackend: c.RUNNER_BACKEND,
    logLevel: c.LOG_LEVEL,
    idleTimeoutMs: c.HOTSWAP_IDLE_TIMEOUT * 1000,
    maxInstances: c.HOTSWAP_MAX_INSTANCES,
    queueSize: c.HOTSWAP_QUEUE_SIZE,
    queueTimeoutMs: c.HOTSWAP_QUEUE_TIMEOUT_MS,
    shutdownGraceMs: c.HOTSWAP_SHUTDOWN_GRACE * 1000,
    clusterSecret: c.HOTSWAP_CLUSTER_SECRET,
    runnerId: c.HOTSWAP_RUNNER_ID,
    docker: {
      host: c.DOCKER_HOST,
      network: c.HOTSWAP_DOCKER_NETWORK,
      runtimeApiHost: c.HOTSWAP_RUNTIME_API_HOST,
      runtimeApiBind: c.HOTSWAP_RUNTIME_API_BIND,
    },
    stems: {
      size: c.HOTSWAP_STEM_POOL_SIZE ?? (c.RUNNER_BACKEND === "docker" ? 1 : 0),
      memorySizes: [...new Set(c.HOTSWAP_STEM_MEMORY.split(",").map((m) => Number(m.trim())))],
      runtimes: c.HOTSWAP_STEM_RUNTIMES?.split(",").map((r) => r.trim() as RuntimeId),
    },
  };
}
