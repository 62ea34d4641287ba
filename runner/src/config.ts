/**
 * Configuration of `hotswap runner`: a pure function of the environment, validated by zod, that
 * names every invalid field. The setting names match what the Pulumi programs in infra/ pass.
 * No other runner module reads process.env.
 */
import { z } from "zod";
import { RUNTIME_IDS, RuntimeId, runtimeFamily } from "../../protocol/runtimes.ts";

import { emptyToUndefined, intInRange, isSet, optionalString, optionalUrl, s3Issues, urlWithScheme as url } from "../../shared/config/env-schema.ts";

const RUNNER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const LABEL_PART = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/;

/** `k=v,k=v` → record; throws with the offending entry. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const eq = entry.indexOf("=");
    const k = eq < 0 ? entry : entry.slice(0, eq).trim();
    const v = eq < 0 ? "" : entry.slice(eq + 1).trim();
    if (eq < 0 || !LABEL_PART.test(k) || (v !== "" && !LABEL_PART.test(v))) {
      throw new Error(`"${entry}" is not k=v with k and v made of letters, digits, '.', '_', '-' or '/' (up to 63 characters)`);
    }
    labels[k] = v;
  }
  return labels;
}

/** `nodejs20,python3.12` → runtime ids that can have stems; throws naming the bad entry. */
export function parseStemRuntimes(text: string): RuntimeId[] {
  const ids = text.split(",").map((s) => s.trim()).filter(Boolean);
  for (const id of ids) {
    const parsed = RuntimeId.safeParse(id);
    if (!parsed.success || runtimeFamily(parsed.data) === "provided") {
      throw new Error(`"${id}" is not a runtime with stems; use ${RUNTIME_IDS.filter((r) => r !== "provided").join(", ")}`);
    }
  }
  return ids as RuntimeId[];
}

/** `256,512` → memory sizes (MB); throws naming the bad entry. */
export function parseMemorySizes(text: string): number[] {
  const sizes = text.split(",").map((s) => s.trim()).filter(Boolean);
  return sizes.map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 128 || n > 10240) throw new Error(`"${s}" is not a memory size in MB between 128 and 10240`);
    return n;
  });
}

/** `host:port`, `[v6]:port` or `:port` → parts; throws with what is wrong. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not host:port (e.g. 127.0.0.1:8081, 0.0.0.0:8081, [::]:8081)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port ${port} is above 65535`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

const RunnerConfigSchema = z.object({
  HOTSWAP_CONTROL_PLANE_URL: optionalUrl(["http:", "https:"]),
  REDIS_URL: z.preprocess(emptyToUndefined, url(["redis:", "rediss:"]).optional()),
  /** Prefix of every state-store key and channel, shared with the control plane. */
  HOTSWAP_REDIS_PREFIX: z.preprocess(emptyToUndefined, z.string().max(128).default("")),
  HOTSWAP_CLUSTER_SECRET: z.preprocess(emptyToUndefined, z.string().min(16, "must be at least 16 characters").optional()),
  RUNNER_ID: z.preprocess(emptyToUndefined, z.string().regex(RUNNER_ID, "must be 1-128 of letters, digits, '.', '_' or '-', starting with a letter or digit").optional()),
  RUNNER_POOL: z.preprocess(emptyToUndefined, z.string().regex(LABEL_PART, "must be 1-63 of letters, digits, '.', '_', '-' or '/'").default("default")),
  RUNNER_LABELS: z.preprocess(emptyToUndefined, z.string().default("").superRefine(refineWith(parseLabels))),
  RUNNER_MEMORY_MB: intInRange(4096, 128, 4 * 1024 * 1024),
  RUNNER_MAX_INSTANCES: intInRange(16, 1, 10000),
  RUNNER_BACKEND: z.preprocess(emptyToUndefined, z.enum(["process", "docker"]).default("process")),
  RUNNER_LISTEN: z.preprocess(emptyToUndefined, z.string().default("127.0.0.1:8081").superRefine(refineWith(parseListen))),
  /** URL the control plane reaches this runner at; derived from RUNNER_LISTEN when unset. */
  RUNNER_ADVERTISE_URL: optionalUrl(["http:", "https:"]),
  /** Prewarmed stem instances kept per runtime and memory size (0 turns the stem pool off). */
  RUNNER_STEMS: intInRange(1, 0, 64),
  /** Runtimes to keep stems of; default every node and python runtime the backend can run. */
  RUNNER_STEM_RUNTIMES: z.preprocess(emptyToUndefined, z.string().superRefine(refineWith(parseStemRuntimes)).optional()),
  /** Memory sizes (MB) to keep stems of: a stem serves functions of its own memory size. */
  RUNNER_STEM_MEMORY_MB: z.preprocess(emptyToUndefined, z.string().default("256").superRefine(refineWith(parseMemorySizes))),
  /** Docker Engine API (docker backend): unix:///var/run/docker.sock by default. */
  DOCKER_HOST: optionalString,
  /** Docker network for function containers (docker backend): bridge by default. */
  RUNNER_DOCKER_NETWORK: optionalString,
  RUNNER_HEARTBEAT_MS: intInRange(1000, 100, 60_000),
  S3_ENDPOINT: optionalUrl(["http:", "https:"]),
  S3_BUCKET: optionalString,
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_REGION: z.preprocess(emptyToUndefined, z.string().default("us-east-1")),
  HOTSWAP_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default("./.hotswap")),
  /** Code directory when no S3 is configured (a control plane on this host with the same data dir). */
  HOTSWAP_CODE_DIR: optionalString,
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
  HOTSWAP_IDLE_TIMEOUT: intInRange(300, 1, 86400),
  HOTSWAP_QUEUE_SIZE: intInRange(256, 0, 100000),
  HOTSWAP_QUEUE_TIMEOUT_MS: intInRange(10000, 0, 600000),
  HOTSWAP_SHUTDOWN_GRACE: intInRange(30, 0, 3600),
});

/** A field refinement from a parser that throws with what is wrong. */
function refineWith(parse: (v: string) => unknown) {
  return (v: string, ctx: z.RefinementCtx) => {
    try {
      parse(v);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
  };
}

/**
 * Rules on presence and pairs of variables, checked on the raw values so they are reported together
 * with the field errors (an object refinement would not run when a field is invalid).
 */
function crossFieldIssues(env: Record<string, string | undefined>): string[] {
  const set = (k: string) => isSet(env, k);
  const issues: string[] = [];
  if (!set("REDIS_URL")) issues.push("REDIS_URL: is required: runners register and heartbeat through Redis (e.g. redis://127.0.0.1:6379)");
  if (!set("HOTSWAP_CLUSTER_SECRET")) {
    issues.push("HOTSWAP_CLUSTER_SECRET: is required: the shared secret the control plane presents to runners (set the same value on both, at least 16 characters)");
  }
  issues.push(...s3Issues(env));
  return issues;
}

export interface RunnerConfig {
  id: string;
  pool: string;
  labels: Record<string, string>;
  controlPlaneUrl?: string;
  redis: { url: string; keyPrefix: string };
  clusterSecret: string;
  capacity: { memoryMb: number; maxInstances: number };
  backend: "process" | "docker";
  listen: { host: string; port: number };
  /** Set when RUNNER_ADVERTISE_URL is; otherwise the agent derives it from the bound address. */
  advertiseUrl?: string;
  stems: { perRuntime: number; runtimes?: RuntimeId[]; memorySizes: number[] };
  docker: { host?: string; network?: string };
  heartbeatMs: number;
  dataDir: string;
  codeStore:
    | { kind: "s3"; endpoint: string; bucket: string; region: string; accessKeyId?: string; secretAccessKey?: string }
    | { kind: "fs"; dir: string };
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  idleTimeoutMs: number;
  queueSize: number;
  queueTimeoutMs: number;
  shutdownGraceMs: number;
}

export class RunnerConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid runner configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "RunnerConfigError";
  }
}

/**
 * Parse and validate the environment. Throws RunnerConfigError naming every invalid field.
 * `host.hostname` is the default runner id (os.hostname() from the caller).
 */
export function loadRunnerConfig(env: Record<string, string | undefined>, host: { hostname: string }): RunnerConfig {
  const parsed = RunnerConfigSchema.safeParse(env);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)),
    ...crossFieldIssues(env),
  ];
  if (!parsed.success || issues.length > 0) throw new RunnerConfigError(issues);
  const c = parsed.data;
  const id = c.RUNNER_ID ?? host.hostname.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 128);
  return {
    id,
    pool: c.RUNNER_POOL,
    labels: parseLabels(c.RUNNER_LABELS),
    controlPlaneUrl: c.HOTSWAP_CONTROL_PLANE_URL,
    redis: { url: c.REDIS_URL!, keyPrefix: c.HOTSWAP_REDIS_PREFIX },
    clusterSecret: c.HOTSWAP_CLUSTER_SECRET!,
    capacity: { memoryMb: c.RUNNER_MEMORY_MB, maxInstances: c.RUNNER_MAX_INSTANCES },
    backend: c.RUNNER_BACKEND,
    listen: parseListen(c.RUNNER_LISTEN),
    advertiseUrl: c.RUNNER_ADVERTISE_URL?.replace(/\/+$/, ""),
    stems: {
      perRuntime: c.RUNNER_STEMS,
      ...(c.RUNNER_STEM_RUNTIMES ? { runtimes: parseStemRuntimes(c.RUNNER_STEM_RUNTIMES) } : {}),
      memorySizes: parseMemorySizes(c.RUNNER_STEM_MEMORY_MB),
    },
    docker: { host: c.DOCKER_HOST, network: c.RUNNER_DOCKER_NETWORK },
    heartbeatMs: c.RUNNER_HEARTBEAT_MS,
    dataDir: c.HOTSWAP_DATA_DIR,
    codeStore:
      c.S3_ENDPOINT && c.S3_BUCKET
        ? { kind: "s3", endpoint: c.S3_ENDPOINT, bucket: c.S3_BUCKET, region: c.S3_REGION, accessKeyId: c.S3_ACCESS_KEY_ID, secretAccessKey: c.S3_SECRET_ACCESS_KEY }
        : { kind: "fs", dir: c.HOTSWAP_CODE_DIR ?? `${c.HOTSWAP_DATA_DIR}/code` },
    logLevel: c.LOG_LEVEL,
    idleTimeoutMs: c.HOTSWAP_IDLE_TIMEOUT * 1000,
    queueSize: c.HOTSWAP_QUEUE_SIZE,
    queueTimeoutMs: c.HOTSWAP_QUEUE_TIMEOUT_MS,
    shutdownGraceMs: c.HOTSWAP_SHUTDOWN_GRACE * 1000,
  };
}
