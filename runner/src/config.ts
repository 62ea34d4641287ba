/**
 * Configuration of a runner node: a pure function of the environment, validated by zod, that
 * names every invalid field. One vocabulary (the RUNNER_* names) for both ways a runner runs:
 *   - "agent":    `hotswap runner`, registered in Redis and serving the control planes over HTTP;
 *   - "embedded": the in-process runner of `hotswap server --embedded-runner` (`npm start`), which
 *                 needs no Redis or cluster secret and has no listen/advertise/heartbeat settings.
 * The names the embedded runner used to read (HOTSWAP_STEM_POOL_SIZE, ...) still work for one
 * release, mapped in deprecated-names.ts. The setting names match what the Pulumi programs in
 * infra/ pass. No other runner module reads process.env.
 */
import { z } from "zod";
import { RUNTIME_IDS, RuntimeId, runtimeFamily } from "../../protocol/runtimes.ts";
import { emptyToUndefined, intInRange, isSet, optionalString, optionalUrl, s3Issues, urlWithScheme as url } from "../../shared/config/env-schema.ts";
import { withCurrentNames } from "./deprecated-names.ts";
import { tracingSettings, type TracingSettings } from "../../shared/tracing/settings.ts";

/** OTEL_SERVICE_NAME when unset. */
export const RUNNER_SERVICE_NAME = "hotswap-runner";
import { parseUidRange, type UidRange } from "./sandbox/uid-claims.ts";

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

/** `256,512` → distinct memory sizes (MB) in the order given; throws naming the bad entry. */
export function parseMemorySizes(text: string): number[] {
  const sizes = text.split(",").map((s) => s.trim()).filter(Boolean);
  const out = sizes.map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 128 || n > 10240) throw new Error(`"${s}" is not a memory size in MB between 128 and 10240`);
    return n;
  });
  return [...new Set(out)];
}

/** `host:port`, `[v6]:port` or `:port` → parts; throws with what is wrong. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not host:port (e.g. 127.0.0.1:8081, 0.0.0.0:8081, [::]:8081)`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`port ${port} is above 65535`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

/** Settings of every runner node, embedded or agent. */
const NodeSchema = z.object({
  RUNNER_ID: z.preprocess(emptyToUndefined, z.string().regex(RUNNER_ID, "must be 1-128 of letters, digits, '.', '_' or '-', starting with a letter or digit").optional()),
  RUNNER_BACKEND: z.preprocess(emptyToUndefined, z.enum(["process", "docker"]).default("process")),
  /** Runner-wide budget: live plus starting instances across all versions, and their memory. */
  RUNNER_MEMORY_MB: intInRange(4096, 128, 4 * 1024 * 1024),
  RUNNER_MAX_INSTANCES: intInRange(16, 1, 10000),
  /** Per-version cap when the function sets no maxInstances; default RUNNER_MAX_INSTANCES. */
  RUNNER_MAX_INSTANCES_PER_VERSION: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(10000).optional()),
  /** Prewarmed stem instances kept per runtime and memory size (0 turns the stem pool off). */
  RUNNER_STEMS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(64).optional()),
  /** Runtimes to keep stems of; default every node, python and java runtime the backend can run. */
  RUNNER_STEM_RUNTIMES: z.preprocess(emptyToUndefined, z.string().superRefine(refineWith(parseStemRuntimes)).optional()),
  /** Memory sizes (MB) to keep stems of: a stem serves functions of its own memory size. */
  RUNNER_STEM_MEMORY_MB: z.preprocess(emptyToUndefined, z.string().default("256").superRefine(refineWith(parseMemorySizes))),
  /** Docker Engine API (docker backend): unix:///var/run/docker.sock by default. */
  DOCKER_HOST: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^(unix:\/\/\/.+|\/.+|tcp:\/\/[^/]+)$/, "must be unix:///path/to/docker.sock or tcp://host:port").optional(),
  ),
  /** Docker network for function containers (docker backend): host, bridge or a user-defined network. */
  RUNNER_DOCKER_NETWORK: z.preprocess(
    emptyToUndefined,
    z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "must be host, bridge or the name of a Docker network").default("bridge"),
  ),
  /** Address containers use to reach the runner (fast channel and Runtime API). */
  RUNNER_RUNTIME_API_HOST: optionalString,
  /** Address the runner's listeners for containers bind. */
  RUNNER_RUNTIME_API_BIND: optionalString,
  /** Process backend sandbox: "auto" gives each instance its own uid and cgroup when the runner runs as root; "off" never does (trusted code only). */
  RUNNER_SANDBOX: z.preprocess(emptyToUndefined, z.enum(["auto", "off"]).default("auto")),
  /** Uids (and gids) the sandbox gives instances, one per live instance; disjoint from real users and from other runners' ranges on the host. */
  RUNNER_SANDBOX_UID_RANGE: z.preprocess(emptyToUndefined, z.string().default("200000-265535").superRefine(refineWith(parseUidRange))),
  /** Processes plus threads an instance's whole tree may have (its cgroup's pids.max). */
  RUNNER_SANDBOX_PIDS_MAX: intInRange(1024, 16, 4_194_304),
  /** Extracted code trees; default <data dir>/code-cache, or <tmp>/hotswap-code-cache when sandboxed (the 0700 data dir is closed to sandbox users). */
  RUNNER_CODE_CACHE_DIR: optionalString,
  /** Seconds an extracted tree that no live version uses is kept after its last load. */
  RUNNER_CODE_CACHE_MAX_IDLE: intInRange(86400, 60, 365 * 86400),
  HOTSWAP_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default("./.hotswap")),
  HOTSWAP_IDLE_TIMEOUT: intInRange(300, 1, 86400),
  HOTSWAP_QUEUE_SIZE: intInRange(256, 0, 100000),
  HOTSWAP_QUEUE_TIMEOUT_MS: intInRange(10000, 0, 600000),
  /** Function log bytes per second each instance may write before output is dropped (with a marker). */
  RUNNER_LOG_RATE_BYTES: intInRange(1024 * 1024, 1024, 1024 * 1024 * 1024),
  /** Function log bytes an instance may write at once above that rate. */
  RUNNER_LOG_BURST_BYTES: intInRange(2 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
});

/** What only `hotswap runner` reads: how it joins the fleet, where it listens, its own stores and logs. */
const AgentSchema = NodeSchema.extend({
  HOTSWAP_CONTROL_PLANE_URL: optionalUrl(["http:", "https:"]),
  REDIS_URL: z.preprocess(emptyToUndefined, url(["redis:", "rediss:"]).optional()),
  /** Prefix of every state-store key and channel, shared with the control plane. */
  HOTSWAP_REDIS_PREFIX: z.preprocess(emptyToUndefined, z.string().max(128).default("")),
  HOTSWAP_CLUSTER_SECRET: z.preprocess(emptyToUndefined, z.string().min(16, "must be at least 16 characters").optional()),
  RUNNER_POOL: z.preprocess(emptyToUndefined, z.string().regex(LABEL_PART, "must be 1-63 of letters, digits, '.', '_', '-' or '/'").default("default")),
  RUNNER_LABELS: z.preprocess(emptyToUndefined, z.string().default("").superRefine(refineWith(parseLabels))),
  RUNNER_LISTEN: z.preprocess(emptyToUndefined, z.string().default("127.0.0.1:8081").superRefine(refineWith(parseListen))),
  /** URL the control plane reaches this runner at; derived from RUNNER_LISTEN when unset. */
  RUNNER_ADVERTISE_URL: optionalUrl(["http:", "https:"]),
  RUNNER_HEARTBEAT_MS: intInRange(1000, 100, 60_000),
  /** PEM files: with both, the runner serves HTTPS to the control planes (which trust HOTSWAP_RUNNER_TLS_CA). */
  HOTSWAP_RUNNER_TLS_CERT: optionalString,
  HOTSWAP_RUNNER_TLS_KEY: optionalString,
  /** "on": control planes may forward invocations over the multiplexed fleet channel; "off": HTTP requests only. */
  RUNNER_FLEET_CHANNEL: z.preprocess(emptyToUndefined, z.enum(["on", "off"]).default("on")),
  S3_ENDPOINT: optionalUrl(["http:", "https:"]),
  S3_BUCKET: optionalString,
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_REGION: z.preprocess(emptyToUndefined, z.string().default("us-east-1")),
  /** Code directory when no S3 is configured (a control plane on this host with the same data dir). */
  HOTSWAP_CODE_DIR: optionalString,
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
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
function agentIssues(env: Record<string, string | undefined>): string[] {
  const set = (k: string) => isSet(env, k);
  const issues: string[] = [];
  if (!set("REDIS_URL")) issues.push("REDIS_URL: is required: runners register and heartbeat through Redis (e.g. redis://127.0.0.1:6379)");
  if (!set("HOTSWAP_CLUSTER_SECRET")) {
    issues.push("HOTSWAP_CLUSTER_SECRET: is required: the shared secret the control plane presents to runners (set the same value on both, at least 16 characters)");
  }
  issues.push(...s3Issues(env));
  if (set("HOTSWAP_RUNNER_TLS_CERT") !== set("HOTSWAP_RUNNER_TLS_KEY")) {
    issues.push(`${set("HOTSWAP_RUNNER_TLS_CERT") ? "HOTSWAP_RUNNER_TLS_KEY" : "HOTSWAP_RUNNER_TLS_CERT"}: HOTSWAP_RUNNER_TLS_CERT and HOTSWAP_RUNNER_TLS_KEY must be set together`);
  }
  return issues;
}

export type RunnerMode = "agent" | "embedded";

/** What builds a runner node (runner-node.ts), whichever process hosts it. */
export interface RunnerNodeConfig {
  mode: RunnerMode;
  id: string;
  backend: "process" | "docker";
  /** The runner-wide budget (RUNNER_MAX_INSTANCES, RUNNER_MEMORY_MB), shared by all versions. */
  capacity: { memoryMb: number; maxInstances: number };
  /** Instances per version when the function sets no maxInstances (RUNNER_MAX_INSTANCES_PER_VERSION). */
  maxInstancesPerVersion: number;
  stems: { perRuntime: number; runtimes?: RuntimeId[]; memorySizes: number[] };
  docker: { host?: string; network: string; runtimeApiHost?: string; runtimeApiBind?: string };
  dataDir: string;
  /** The process backend's sandbox (RUNNER_SANDBOX, RUNNER_SANDBOX_UID_RANGE, RUNNER_SANDBOX_PIDS_MAX). */
  sandbox: { mode: "auto" | "off"; uidRange: UidRange; pidsMax: number };
  /** RUNNER_CODE_CACHE_DIR when set; otherwise runner-node.ts chooses by whether instances are sandboxed. */
  codeCacheDir?: string;
  /** RUNNER_CODE_CACHE_MAX_IDLE in ms: trees no live version uses are removed this long after their last load. */
  codeCacheMaxIdleMs: number;
  idleTimeoutMs: number;
  queueSize: number;
  queueTimeoutMs: number;
  /** Flood limits of each instance's function log (RUNNER_LOG_RATE_BYTES, RUNNER_LOG_BURST_BYTES). */
  logs: { rateBytes: number; burstBytes: number };
  /** One message per deprecated variable name that was read (or ignored for its RUNNER_* name); print them once at start. */
  deprecations: string[];
  /** OpenTelemetry traces (OTEL_EXPORTER_OTLP_*ENDPOINT, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER*, OTEL_SDK_DISABLED). */
  tracing: TracingSettings;
}

/** `hotswap runner`: a node plus how it joins the fleet. */
export interface RunnerConfig extends RunnerNodeConfig {
  mode: "agent";
  pool: string;
  labels: Record<string, string>;
  controlPlaneUrl?: string;
  redis: { url: string; keyPrefix: string };
  clusterSecret: string;
  listen: { host: string; port: number };
  /** Set when RUNNER_ADVERTISE_URL is; otherwise the agent derives it from the bound address. */
  advertiseUrl?: string;
  /** HOTSWAP_RUNNER_TLS_CERT / HOTSWAP_RUNNER_TLS_KEY: serve the runner API over HTTPS. */
  tls?: { certFile: string; keyFile: string };
  /** RUNNER_FLEET_CHANNEL: offer the fleet channel (protocol/fleet-channel.ts) in heartbeats. */
  fleetChannel: boolean;
  heartbeatMs: number;
  codeStore:
    | { kind: "s3"; endpoint: string; bucket: string; region: string; accessKeyId?: string; secretAccessKey?: string }
    | { kind: "fs"; dir: string };
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  shutdownGraceMs: number;
}

export class RunnerConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid runner configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "RunnerConfigError";
  }
}

/** Where the node runs: `hostname` (os.hostname() from the caller) makes the default runner id. */
export interface RunnerHost {
  hostname: string;
  /** @default "agent" */
  mode?: RunnerMode;
}

/**
 * Parse and validate the environment. Throws RunnerConfigError naming every invalid field.
 * Default runner id: the hostname (agent), `embedded-<hostname>` (embedded).
 * Default stems: 1 per runtime and size (agent); on the embedded runner 1 on docker, 0 on process.
 */
export function loadRunnerConfig(env: Record<string, string | undefined>, host: RunnerHost & { mode: "embedded" }): RunnerNodeConfig;
export function loadRunnerConfig(env: Record<string, string | undefined>, host: RunnerHost & { mode?: "agent" }): RunnerConfig;
export function loadRunnerConfig(env: Record<string, string | undefined>, host: RunnerHost): RunnerNodeConfig | RunnerConfig;
export function loadRunnerConfig(rawEnv: Record<string, string | undefined>, host: RunnerHost): RunnerNodeConfig | RunnerConfig {
  const mode = host.mode ?? "agent";
  // The old names were read by the embedded runner only, so only it keeps reading them.
  const { env, deprecations, nameOf } = mode === "embedded" ? withCurrentNames(rawEnv) : { env: rawEnv, deprecations: [], nameOf: (k: string) => k };
  const parsed = (mode === "agent" ? AgentSchema : NodeSchema).safeParse(env);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.length > 0 ? nameOf(String(i.path[0])) : "(root)"}: ${i.message}`)),
    ...(mode === "agent" ? agentIssues(env) : []),
    ...tracingSettings(env, RUNNER_SERVICE_NAME).issues,
  ];
  if (!parsed.success || issues.length > 0) throw new RunnerConfigError(issues);
  const c = parsed.data;
  const node: RunnerNodeConfig = {
    mode,
    id: c.RUNNER_ID ?? (mode === "embedded" ? `embedded-${host.hostname}` : host.hostname.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 128)),
    backend: c.RUNNER_BACKEND,
    capacity: { memoryMb: c.RUNNER_MEMORY_MB, maxInstances: c.RUNNER_MAX_INSTANCES },
    maxInstancesPerVersion: c.RUNNER_MAX_INSTANCES_PER_VERSION ?? c.RUNNER_MAX_INSTANCES,
    stems: {
      // A fleet runner always had stems; the embedded one only on docker, where a cold start costs most.
      perRuntime: c.RUNNER_STEMS ?? (mode === "agent" || c.RUNNER_BACKEND === "docker" ? 1 : 0),
      ...(c.RUNNER_STEM_RUNTIMES ? { runtimes: parseStemRuntimes(c.RUNNER_STEM_RUNTIMES) } : {}),
      memorySizes: parseMemorySizes(c.RUNNER_STEM_MEMORY_MB),
    },
    docker: {
      host: c.DOCKER_HOST,
      network: c.RUNNER_DOCKER_NETWORK,
      ...(c.RUNNER_RUNTIME_API_HOST ? { runtimeApiHost: c.RUNNER_RUNTIME_API_HOST } : {}),
      ...(c.RUNNER_RUNTIME_API_BIND ? { runtimeApiBind: c.RUNNER_RUNTIME_API_BIND } : {}),
    },
    dataDir: c.HOTSWAP_DATA_DIR,
    sandbox: { mode: c.RUNNER_SANDBOX, uidRange: parseUidRange(c.RUNNER_SANDBOX_UID_RANGE), pidsMax: c.RUNNER_SANDBOX_PIDS_MAX },
    ...(c.RUNNER_CODE_CACHE_DIR ? { codeCacheDir: c.RUNNER_CODE_CACHE_DIR } : {}),
    codeCacheMaxIdleMs: c.RUNNER_CODE_CACHE_MAX_IDLE * 1000,
    idleTimeoutMs: c.HOTSWAP_IDLE_TIMEOUT * 1000,
    queueSize: c.HOTSWAP_QUEUE_SIZE,
    queueTimeoutMs: c.HOTSWAP_QUEUE_TIMEOUT_MS,
    logs: { rateBytes: c.RUNNER_LOG_RATE_BYTES, burstBytes: c.RUNNER_LOG_BURST_BYTES },
    deprecations,
    tracing: tracingSettings(env, RUNNER_SERVICE_NAME).settings,
  };
  if (mode === "embedded") return node;
  const a = c as z.infer<typeof AgentSchema>;
  return {
    ...node,
    mode: "agent",
    pool: a.RUNNER_POOL,
    labels: parseLabels(a.RUNNER_LABELS),
    controlPlaneUrl: a.HOTSWAP_CONTROL_PLANE_URL,
    redis: { url: a.REDIS_URL!, keyPrefix: a.HOTSWAP_REDIS_PREFIX },
    clusterSecret: a.HOTSWAP_CLUSTER_SECRET!,
    listen: parseListen(a.RUNNER_LISTEN),
    advertiseUrl: a.RUNNER_ADVERTISE_URL?.replace(/\/+$/, ""),
    ...(a.HOTSWAP_RUNNER_TLS_CERT && a.HOTSWAP_RUNNER_TLS_KEY ? { tls: { certFile: a.HOTSWAP_RUNNER_TLS_CERT, keyFile: a.HOTSWAP_RUNNER_TLS_KEY } } : {}),
    fleetChannel: a.RUNNER_FLEET_CHANNEL === "on",
    heartbeatMs: a.RUNNER_HEARTBEAT_MS,
    codeStore:
      a.S3_ENDPOINT && a.S3_BUCKET
        ? { kind: "s3", endpoint: a.S3_ENDPOINT, bucket: a.S3_BUCKET, region: a.S3_REGION, accessKeyId: a.S3_ACCESS_KEY_ID, secretAccessKey: a.S3_SECRET_ACCESS_KEY }
        : { kind: "fs", dir: a.HOTSWAP_CODE_DIR ?? `${a.HOTSWAP_DATA_DIR}/code` },
    logLevel: a.LOG_LEVEL,
    shutdownGraceMs: a.HOTSWAP_SHUTDOWN_GRACE * 1000,
  };
}
