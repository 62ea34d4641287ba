/**
 * Stack configuration: the `hotswap:*` keys of a Pulumi stack, typed and validated by zod before any
 * resource is declared. `parseStackConfig` is pure (tests and the renderer pass a literal map);
 * `loadStackConfig` reads the running stack's config. Every problem is reported with the full key,
 * e.g. `hotswap:runnerPools[0].size must be an integer ≥ 0`, all at once.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DNS_NAME } from "./components/runner-tls.ts";
import { CPU_HINT, DURATION_HINT, SIZE_HINT, isCpu, isDuration, isSize, type Cpu, type Duration, type Size } from "./units.ts";

export const NAMESPACE = "hotswap";
export const TARGETS = ["docker", "kubernetes", "aws"] as const;
export type Target = (typeof TARGETS)[number];
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** Same format the control plane accepts (platform/src/config.ts): hs_<id>_<secret>. */
export const ADMIN_KEY_PATTERN = /^hs_[a-z0-9]{4,32}_[A-Za-z0-9]{32,}$/;

const quoteList = (values: readonly string[]) => values.map((v) => `"${v}"`).join(", ");
const int = (min: number, max?: number) => {
  const error = max === undefined ? `must be an integer ≥ ${min}` : `must be an integer from ${min} to ${max}`;
  const base = z.number({ error }).int({ error }).min(min, { error });
  return max === undefined ? base : base.max(max, { error });
};
const str = (error = "must be a non-empty string") => z.string({ error }).min(1, { error });
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (issue) => (issue.input === undefined ? `is required: one of ${quoteList(values)}` : `must be one of ${quoteList(values)}`),
  });
const bool = () => z.boolean({ error: "must be true or false" });
const size = () => z.custom<Size>(isSize, { error: SIZE_HINT });
const cpu = () => z.custom<Cpu>(isCpu, { error: CPU_HINT });
const duration = () => z.custom<Duration>(isDuration, { error: DURATION_HINT });
/** Kubernetes label keys/values and RUNNER_LABELS entries: no "," or "=" so `k=v,k=v` stays parseable. */
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,251}[A-Za-z0-9])?$/;
const labels = () =>
  z.record(
    z.string().regex(LABEL, { error: "keys must be label names (letters, digits, '.', '_', '-', '/')" }),
    z.string({ error: "values must be strings" }).regex(/^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/, {
      error: "values must be label values (up to 63 letters, digits, '.', '_', '-')",
    }),
    { error: "must be a map of label names to values" },
  );
const POOL_NAME = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;

export const TaintConfig = z.strictObject({
  key: z.string({ error: "must be a label name" }).regex(LABEL, { error: "must be a label name" }),
  value: z.string({ error: "must be a string" }).optional(),
  effect: oneOf(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});
export type TaintConfig = z.infer<typeof TaintConfig>;

export const RunnerPoolConfig = z.strictObject({
  name: z
    .string({ error: 'must be 1-32 characters of a-z, 0-9 and "-", starting with a letter' })
    .regex(POOL_NAME, { error: 'must be 1-32 characters of a-z, 0-9 and "-", starting with a letter' }),
  size: int(0).default(1),
  memory: size().default("4096 MB"),
  cpu: cpu().default("2 vCPU"),
  maxInstances: int(1).default(16),
  labels: labels().default({}),
  nodeLabels: labels().default({}),
  taints: z.array(TaintConfig, { error: "must be a list of { key, value, effect }" }).default([]),
  dockerSocket: oneOf(["dind", "host"]).default("dind"),
  instanceType: str().default("m6i.large"),
  maxSize: int(0).optional(),
});
export type RunnerPoolConfig = z.infer<typeof RunnerPoolConfig>;

const ImagesConfig = z.strictObject({
  registry: str().optional(),
  push: bool().optional(),
  bases: oneOf(["official", "offline"]).default("official"),
  runtimes: bool().default(true),
  controlPlane: str().optional(),
  runner: str().optional(),
});

const ControlPlaneConfig = z.strictObject({
  replicas: int(1).optional(),
  cpu: cpu().default("0.5 vCPU"),
  memory: size().default("512 MB"),
  autoscaling: z
    .strictObject({ maxReplicas: int(1), cpuUtilization: int(1, 100).default(70) }, { error: "must be { maxReplicas, cpuUtilization } or false" })
    .or(z.literal(false))
    .optional(),
  serviceType: oneOf(["ClusterIP", "NodePort", "LoadBalancer"]).optional(),
});

const DataConfig = z.strictObject({
  managed: bool().default(false),
  storageClass: str().optional(),
  postgres: z.strictObject({ storage: size().default("10 GB"), instanceClass: str().default("db.t4g.small") }).prefault({}),
  redis: z.strictObject({ storage: size().default("2 GB"), nodeType: str().default("cache.t4g.small") }).prefault({}),
  objectStore: z
    .strictObject({
      storage: size().default("20 GB"),
      bucket: z
        .string({ error: "must be a bucket name (3-63 of a-z, 0-9, '.', '-')" })
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "must be a bucket name (3-63 of a-z, 0-9, '.', '-')" })
        .optional(),
    })
    .prefault({}),
});

const ObservabilityConfig = z.strictObject({
  grafana: bool().default(false),
  retention: duration().default("15 days"),
  storage: size().default("10 GB"),
});

const DockerConfig = z.strictObject({
  bindAddress: z.ipv4({ error: "must be an IPv4 address" }).default("127.0.0.1"),
  apiPort: int(1, 65535).default(8080),
  socket: str().default("/var/run/docker.sock"),
  socketGroup: z.union([z.string(), z.number()], { error: "must be a group id" }).transform(String).optional(),
});

const KubernetesConfig = z.strictObject({
  namespace: z
    .string({ error: "must be a DNS label (a-z, 0-9, '-')" })
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, { error: "must be a DNS label (a-z, 0-9, '-')" })
    .default(NAMESPACE),
  context: str().optional(),
});

const AwsConfig = z.strictObject({
  kubernetesVersion: str().default("1.33"),
  vpcCidr: z.cidrv4({ error: "must be an IPv4 CIDR like 10.0.0.0/16" }).default("10.0.0.0/16"),
  availabilityZones: int(2, 6).default(2),
  systemNodes: z.strictObject({ instanceType: str().default("t3.large"), size: int(1).default(2) }).prefault({}),
});

const pem = (what: string) => z.string({ error: `must be a PEM ${what}` }).regex(/-----BEGIN [A-Z0-9 ]+-----/, { error: `must be a PEM ${what} (-----BEGIN ...-----)` });
/** Either the PEM texts (the key set with --secret) or, on kubernetes/aws, an existing Secret's name. */
const RunnerTlsConfig = z.strictObject({
  cert: pem("certificate").optional(),
  key: pem("private key").optional(),
  ca: pem("CA certificate").optional(),
  secretName: z
    .string({ error: "must be a Kubernetes Secret name" })
    .regex(/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/, { error: "must be a Kubernetes Secret name" })
    .optional(),
  serverName: z.string().regex(DNS_NAME, { error: "must be a DNS name, e.g. runner.hotswap.internal" }).optional(),
});

const StackConfigSchema = z
  .strictObject({
    target: oneOf(TARGETS),
    version: str().optional(),
    logLevel: oneOf(LOG_LEVELS).default("info"),
    adminKey: z
      .string({ error: "must look like hs_<id>_<secret>: id is 4-32 of [a-z0-9], secret is 32+ of [A-Za-z0-9]" })
      .regex(ADMIN_KEY_PATTERN, { error: "must look like hs_<id>_<secret>: id is 4-32 of [a-z0-9], secret is 32+ of [A-Za-z0-9]" })
      .optional(),
    images: ImagesConfig.prefault({}),
    controlPlane: ControlPlaneConfig.prefault({}),
    runnerPools: z
      .array(RunnerPoolConfig, { error: "must be a list of runner pools" })
      .min(1, { error: "must list at least one runner pool" })
      .default(() => [RunnerPoolConfig.parse({ name: "default" })]),
    data: DataConfig.prefault({}),
    observability: ObservabilityConfig.prefault({}),
    docker: DockerConfig.prefault({}),
    kubernetes: KubernetesConfig.prefault({}),
    aws: AwsConfig.prefault({}),
    runnerTls: RunnerTlsConfig.optional(),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.runnerPools.forEach((pool, i) => {
      const first = seen.get(pool.name);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["runnerPools", i, "name"], message: `"${pool.name}" is already used by runnerPools[${first}]` });
      } else seen.set(pool.name, i);
      if (pool.maxSize !== undefined && pool.maxSize < pool.size) {
        ctx.addIssue({ code: "custom", path: ["runnerPools", i, "maxSize"], message: `must be ≥ size (${pool.size})` });
      }
    });
    if (c.target === "docker" && c.controlPlane.replicas !== undefined && c.controlPlane.replicas !== 1) {
      ctx.addIssue({ code: "custom", path: ["controlPlane", "replicas"], message: "must be 1 on the docker target (one host publishes one API port)" });
    }
    if (c.target !== "aws" && c.data.managed) {
      ctx.addIssue({ code: "custom", path: ["data", "managed"], message: "can only be true on the aws target (RDS, ElastiCache and S3)" });
    }
    const tls = c.runnerTls;
    if (tls) {
      const pems = (["cert", "key", "ca"] as const).filter((k) => tls[k] !== undefined);
      if (tls.secretName !== undefined && pems.length > 0) {
        ctx.addIssue({ code: "custom", path: ["runnerTls"], message: "takes either secretName or cert, key and ca, not both" });
      } else if (tls.secretName !== undefined && c.target === "docker") {
        ctx.addIssue({ code: "custom", path: ["runnerTls", "secretName"], message: "is a Kubernetes Secret: on the docker target give runnerTls.cert, runnerTls.key and runnerTls.ca" });
      } else if (tls.secretName === undefined && pems.length < 3) {
        const missing = (["cert", "key", "ca"] as const).filter((k) => tls[k] === undefined);
        ctx.addIssue({ code: "custom", path: ["runnerTls"], message: `needs cert, key and ca together (missing: ${missing.join(", ")}), or secretName on kubernetes` });
      }
    }
    const auto = c.controlPlane.autoscaling;
    const replicas = c.controlPlane.replicas ?? 2;
    if (auto && auto.maxReplicas < replicas) {
      ctx.addIssue({ code: "custom", path: ["controlPlane", "autoscaling", "maxReplicas"], message: `must be ≥ controlPlane.replicas (${replicas})` });
    }
  });

type Parsed = z.infer<typeof StackConfigSchema>;

/** The validated stack configuration with target-dependent defaults resolved. */
export interface StackConfig extends Omit<Parsed, "controlPlane" | "runnerTls"> {
  stack: string;
  version: string;
  controlPlane: Omit<Parsed["controlPlane"], "replicas" | "serviceType" | "autoscaling"> & {
    replicas: number;
    serviceType: "ClusterIP" | "NodePort" | "LoadBalancer";
    autoscaling: { maxReplicas: number; cpuUtilization: number } | false;
  };
  /** `aws:region`, required on the aws target. */
  awsRegion?: string;
  /** The runners' certificate and the CA the control planes trust, when the runners serve HTTPS. */
  runnerTls?: ({ cert: string; key: string; ca: string } | { secretName: string }) & { serverName?: string };
}

/** Thrown for invalid stack configuration; Pulumi prints a RunError's message without a stack trace. */
export class StackConfigError extends pulumi.RunError {
  constructor(readonly issues: string[]) {
    super(issues.join("\n"));
    this.name = "StackConfigError";
  }
}

/** `["runnerPools", 0, "size"]` → `runnerPools[0].size`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), "");
}

const STRUCTURED = new Set(["images", "controlPlane", "runnerPools", "data", "observability", "docker", "kubernetes", "aws", "runnerTls"]);

/**
 * Validate a stack's raw config map (as `pulumi.runtime.allConfig()` returns it: `"hotswap:target" → "docker"`,
 * structured values as JSON text). Throws StackConfigError naming every invalid key.
 */
export function parseStackConfig(raw: Record<string, string>, options: { stack: string; defaultVersion: string }): StackConfig {
  const issues: string[] = [];
  const input: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(raw)) {
    if (!fullKey.startsWith(`${NAMESPACE}:`)) continue;
    const key = fullKey.slice(NAMESPACE.length + 1);
    if (!STRUCTURED.has(key)) {
      input[key] = text;
      continue;
    }
    try {
      input[key] = JSON.parse(text);
    } catch {
      issues.push(`${fullKey} must be ${key === "runnerPools" ? "a list" : "a map"} (structured YAML in Pulumi.${options.stack}.yaml), got ${JSON.stringify(text)}`);
    }
  }
  const parsed = StackConfigSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const k of issue.keys) issues.push(`${NAMESPACE}:${formatPath([...issue.path, k])} is not a known key`);
      } else {
        issues.push(`${NAMESPACE}:${formatPath(issue.path)} ${issue.message}`);
      }
    }
  }
  const awsRegion = raw["aws:region"];
  if (parsed.success && parsed.data.target === "aws" && !awsRegion) {
    issues.push("aws:region must be set for the aws target (pulumi config set aws:region us-east-1)");
  }
  if (issues.length > 0 || !parsed.success) throw new StackConfigError(issues);

  const c = parsed.data;
  return {
    ...c,
    stack: options.stack,
    version: c.version ?? options.defaultVersion,
    controlPlane: {
      ...c.controlPlane,
      replicas: c.controlPlane.replicas ?? (c.target === "docker" ? 1 : 2),
      serviceType: c.controlPlane.serviceType ?? (c.target === "aws" ? "LoadBalancer" : "ClusterIP"),
      autoscaling: c.controlPlane.autoscaling ?? (c.target === "docker" ? false : { maxReplicas: Math.max(4, c.controlPlane.replicas ?? 2), cpuUtilization: 70 }),
    },
    awsRegion,
    runnerTls: c.runnerTls && {
      ...(c.runnerTls.secretName !== undefined ? { secretName: c.runnerTls.secretName } : { cert: c.runnerTls.cert!, key: c.runnerTls.key!, ca: c.runnerTls.ca! }),
      ...(c.runnerTls.serverName !== undefined ? { serverName: c.runnerTls.serverName } : {}),
    },
  };
}

/** Validate the running stack's configuration. */
export function loadStackConfig(defaultVersion: string): StackConfig {
  return parseStackConfig(pulumi.runtime.allConfig(), { stack: pulumi.getStack(), defaultVersion });
}
