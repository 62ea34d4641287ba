/**
 * ControlPlane: `hotswap server` behind a Service, wired to the data services and Jaeger, with
 * its secrets generated here (admin key, secret key, the cluster secret runners present) and kept
 * as Pulumi secrets. Liveness and readiness probe `/health`; on Kubernetes it also gets a
 * PodDisruptionBudget and a HorizontalPodAutoscaler.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Cpu, Size } from "../units.ts";
import type { WorkloadHost } from "../targets/workload.ts";
import { ADMIN_KEY_PATTERN, LOG_LEVELS } from "../config.ts";
import { ArgsCheck } from "./validate.ts";
import type { S3ConnectionInput } from "./data-services.ts";
import { checkRunnerTls, runnerCaSpec, type RunnerTlsArgs } from "./runner-tls.ts";

export const CONTROL_PLANE_PORT = 8080;
/** Kubernetes Service port (the pods listen on 8080). */
export const CONTROL_PLANE_SERVICE_PORT = 80;
/** Where the `tls` Secret is mounted in the control-plane pods. */
export const TLS_MOUNT_PATH = "/etc/hotswap/tls";

export interface ControlPlaneArgs {
  /**
   * Where the control plane runs.
   * @default (required)
   * @example new KubernetesEnvironment("env", { namespace: "hotswap" }).host
   */
  host: WorkloadHost;
  /**
   * Control-plane image (see PlatformImages).
   * @example "ghcr.io/acme/hotswap/control-plane:0.1.0"
   * @default (required)
   */
  image: pulumi.Input<string>;
  /**
   * Digest of a locally built image; the Docker container is replaced when it changes.
   * @default undefined (a pulled image)
   * @example images.controlPlane.digest
   */
  imageDigest?: pulumi.Input<string>;
  /**
   * Replicas. Any replica routes invocations; a Redis lease elects the leader. Must be 1 on Docker.
   * @default 2 (1 on Docker)
   * @example 3
   */
  replicas?: number;
  /**
   * CPU requested per replica.
   * @default "0.5 vCPU"
   * @example "1 vCPU"
   */
  cpu?: Cpu;
  /**
   * Memory per replica (requested and limited).
   * @default "512 MB"
   * @example "1024 MB"
   */
  memory?: Size;
  /**
   * Kubernetes: scale on CPU between `replicas` and `maxReplicas`. `false` disables the autoscaler.
   * @default { maxReplicas: max(4, replicas), cpuUtilization: 70 }
   * @example { maxReplicas: 10, cpuUtilization: 60 }
   */
  autoscaling?: { maxReplicas: number; cpuUtilization?: number } | false;
  /**
   * Kubernetes Service type. `LoadBalancer` gives the API a public address.
   * @default "ClusterIP"
   * @example "LoadBalancer"
   */
  serviceType?: "ClusterIP" | "NodePort" | "LoadBalancer";
  /**
   * Docker: host port the API is published on (loopback).
   * @default 8080
   * @example 18080
   */
  hostPort?: number;
  /**
   * Postgres URL (secret), from DataServices.
   * @default (required)
   * @example data.databaseUrl
   */
  databaseUrl: pulumi.Input<string>;
  /**
   * Redis URL (secret), from DataServices.
   * @default (required)
   * @example data.redisUrl
   */
  redisUrl: pulumi.Input<string>;
  /**
   * S3 code store, from DataServices. Access keys are optional (IAM roles on EKS).
   * @default (required)
   * @example data.s3
   */
  s3: S3ConnectionInput;
  /**
   * OTLP/HTTP endpoint, from Observability.
   * @example "http://jaeger:4318"
   * @default (required)
   */
  otlpEndpoint: pulumi.Input<string>;
  /**
   * Admin API key (`hs_<id>_<secret>`). Generated when unset.
   * @default a generated key
   * @example config.requireSecret("adminKey")
   */
  adminKey?: pulumi.Input<string>;
  /**
   * A viewer API key (`hs_<id>_<secret>`) the control plane ensures at start (HOTSWAP_METRICS_KEY),
   * for Prometheus to scrape GET /metrics with. None when unset.
   * @default undefined
   * @example platform's generated metrics key
   */
  metricsKey?: pulumi.Input<string>;
  /**
   * A deployer API key (`hs_<id>_<secret>`) the control plane ensures at start (HOTSWAP_DEPLOYER_KEY):
   * what function stacks use instead of the admin key. Generated when unset.
   * @default a generated key
   * @example config.requireSecret("deployerKey")
   */
  deployerKey?: pulumi.Input<string>;
  /**
   * Shared secret between the control plane and runners (HOTSWAP_CLUSTER_SECRET). Generated when unset.
   * @default a generated 48-character secret
   * @example new random.RandomPassword("cluster-secret", { length: 48, special: false }).result
   */
  clusterSecret?: pulumi.Input<string>;
  /**
   * Kubernetes: serve the API over HTTPS with the certificate in an existing `kubernetes.io/tls`
   * Secret (keys `tls.crt` and `tls.key`, e.g. made by cert-manager), mounted read-only at
   * /etc/hotswap/tls and named by HOTSWAP_TLS_CERT/KEY. Send the pods SIGHUP after renewing it.
   * @default undefined (plain HTTP)
   * @example { secretName: "hotswap-api-tls" }
   */
  tls?: { secretName: pulumi.Input<string> };
  /**
   * The runners serve HTTPS (RunnerPool `tls`): the CA from these is mounted at
   * /etc/hotswap/runner-ca (never the runners' key) and named by HOTSWAP_RUNNER_TLS_CA.
   * @default undefined (runners serve plain HTTP)
   * @example { secretName: "hotswap-runner-tls" }
   */
  runnerTls?: RunnerTlsArgs;
  /**
   * Log level.
   * @default "info"
   * @example "debug"
   */
  logLevel?: (typeof LOG_LEVELS)[number];
  /**
   * ServiceAccount annotations (e.g. `eks.amazonaws.com/role-arn` for S3 on EKS).
   * @default undefined
   * @example { "eks.amazonaws.com/role-arn": data.s3RoleArn }
   */
  serviceAccountAnnotations?: Record<string, pulumi.Input<string>>;
  /**
   * Resources that must be ready first (DataServices, Observability).
   * @default []
   * @example [data, observability]
   */
  dependsOn?: pulumi.Resource[];
}

export class ControlPlane extends pulumi.ComponentResource {
  /** URL other workloads use (`http://control-plane:8080` on Docker, `http://control-plane` on Kubernetes). */
  readonly internalUrl: pulumi.Output<string>;
  /** URL for users: the published port on Docker, the load balancer on Kubernetes, else the in-cluster URL. */
  readonly endpoint: pulumi.Output<string>;
  /** Admin API key (secret). */
  readonly adminKey: pulumi.Output<string>;
  /** Deployer API key (secret): functions, versions, aliases, deployments, triggers and invoke; no keys. */
  readonly deployerKey: pulumi.Output<string>;
  /** Shared secret between the control plane and runners (secret). */
  readonly clusterSecret: pulumi.Output<string>;

  constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    const check = new ArgsCheck("ControlPlane", name);
    if (!args.host) check.fail("host is required");
    if (args.image === undefined) check.fail("image is required");
    for (const key of ["databaseUrl", "redisUrl", "otlpEndpoint"] as const) if (args[key] === undefined) check.fail(`${key} is required`);
    if (!args.s3) check.fail("s3 is required");
    if (args.replicas !== undefined) check.int("replicas", args.replicas, 1);
    if (args.host.kind === "docker" && args.replicas !== undefined && args.replicas !== 1) check.fail("replicas must be 1 on the docker target");
    if (args.cpu !== undefined) check.cpu("cpu", args.cpu);
    if (args.memory !== undefined) check.size("memory", args.memory);
    if (args.hostPort !== undefined) check.int("hostPort", args.hostPort, 1, 65535);
    if (args.serviceType !== undefined) check.oneOf("serviceType", args.serviceType, ["ClusterIP", "NodePort", "LoadBalancer"]);
    if (args.logLevel !== undefined) check.oneOf("logLevel", args.logLevel, LOG_LEVELS);
    if (args.tls && args.host.kind !== "kubernetes") check.fail("tls (a certificate Secret) is available on the kubernetes target only");
    checkRunnerTls(check, "runnerTls", args.runnerTls, args.host);
    if (typeof args.adminKey === "string" && !ADMIN_KEY_PATTERN.test(args.adminKey)) {
      check.fail("adminKey must look like hs_<id>_<secret>: id is 4-32 of [a-z0-9], secret is 32+ of [A-Za-z0-9]");
    }
    if (typeof args.deployerKey === "string" && !ADMIN_KEY_PATTERN.test(args.deployerKey)) {
      check.fail("deployerKey must look like hs_<id>_<secret>: id is 4-32 of [a-z0-9], secret is 32+ of [A-Za-z0-9]");
    }
    const replicas = args.replicas ?? (args.host.kind === "docker" ? 1 : 2);
    if (args.autoscaling) {
      check.int("autoscaling.maxReplicas", args.autoscaling.maxReplicas, replicas);
      if (args.autoscaling.cpuUtilization !== undefined) check.int("autoscaling.cpuUtilization", args.autoscaling.cpuUtilization, 1, 100);
    }
    super("hotswap:index:ControlPlane", name, {}, opts);

    const { host, cpu = "0.5 vCPU", memory = "512 MB", serviceType = "ClusterIP", hostPort = 8080, logLevel = "info" } = args;
    const autoscaling =
      args.autoscaling === false || host.kind === "docker"
        ? undefined
        : { minReplicas: replicas, maxReplicas: args.autoscaling?.maxReplicas ?? Math.max(4, replicas), cpuUtilization: args.autoscaling?.cpuUtilization ?? 70 };

    const secret = (suffix: string, length: number) =>
      new random.RandomPassword(`${name}-${suffix}`, { length, special: false }, { parent: this }).result;
    if (args.adminKey !== undefined) {
      this.adminKey = pulumi.secret(args.adminKey);
    } else {
      const id = new random.RandomString(`${name}-admin-key-id`, { length: 12, upper: false, special: false }, { parent: this }).result;
      this.adminKey = pulumi.secret(pulumi.interpolate`hs_${id}_${secret("admin-key-secret", 40)}`);
    }
    if (args.deployerKey !== undefined) {
      this.deployerKey = pulumi.secret(args.deployerKey);
    } else {
      const id = new random.RandomString(`${name}-deployer-key-id`, { length: 12, upper: false, special: false }, { parent: this }).result;
      this.deployerKey = pulumi.secret(pulumi.interpolate`hs_${id}_${secret("deployer-key-secret", 40)}`);
    }
    this.clusterSecret = args.clusterSecret !== undefined ? pulumi.secret(args.clusterSecret) : secret("cluster-secret", 48);
    const secretKey = secret("secret-key", 48);

    const secretEnv: Record<string, pulumi.Input<string>> = {
      DATABASE_URL: args.databaseUrl,
      REDIS_URL: args.redisUrl,
      HOTSWAP_ADMIN_KEY: this.adminKey,
      HOTSWAP_DEPLOYER_KEY: this.deployerKey,
      HOTSWAP_SECRET_KEY: secretKey,
      HOTSWAP_CLUSTER_SECRET: this.clusterSecret,
    };
    if (args.metricsKey !== undefined) secretEnv.HOTSWAP_METRICS_KEY = args.metricsKey;
    if (args.s3.accessKeyId !== undefined) secretEnv.S3_ACCESS_KEY_ID = args.s3.accessKeyId;
    if (args.s3.secretAccessKey !== undefined) secretEnv.S3_SECRET_ACCESS_KEY = args.s3.secretAccessKey;

    const tlsEnv: Record<string, string> = args.tls ? { HOTSWAP_TLS_CERT: `${TLS_MOUNT_PATH}/tls.crt`, HOTSWAP_TLS_KEY: `${TLS_MOUNT_PATH}/tls.key` } : {};
    const health = { path: "/health", port: CONTROL_PLANE_PORT, ...(args.tls ? { scheme: "HTTPS" as const } : {}) };
    const runnerCa = args.runnerTls ? runnerCaSpec(args.runnerTls) : undefined;
    const secretMounts = [...(args.tls ? [{ name: "tls", secretName: args.tls.secretName, mountPath: TLS_MOUNT_PATH }] : []), ...(runnerCa?.secretMounts ?? [])];
    const deployed = host.deploy(this, `${name}-server`, {
      name: "control-plane",
      component: "control-plane",
      role: "control-plane",
      image: args.image,
      imageDigest: args.imageDigest,
      args: ["server"],
      env: {
        PORT: String(CONTROL_PLANE_PORT),
        HOST: "0.0.0.0",
        S3_ENDPOINT: args.s3.endpoint,
        S3_BUCKET: args.s3.bucket,
        S3_REGION: args.s3.region,
        HOTSWAP_DATA_DIR: "/var/lib/hotswap",
        // Deployments run no embedded runner (runners are separate and use Docker); the process
        // backend is what an embedded runner would use, as the control-plane image has no engine.
        RUNNER_BACKEND: "process",
        LOG_LEVEL: logLevel,
        OTEL_EXPORTER_OTLP_ENDPOINT: args.otlpEndpoint,
        OTEL_SERVICE_NAME: "hotswap-control-plane",
        ...tlsEnv,
        ...runnerCa?.env,
      },
      secretEnv,
      ...(secretMounts.length ? { secretMounts } : {}),
      ...(runnerCa?.files ? { files: runnerCa.files } : {}),
      ports: [{ name: "http", port: CONTROL_PLANE_PORT }],
      readiness: { http: health, periodSeconds: 5, failureThreshold: 2 },
      liveness: { http: health, initialDelaySeconds: 20, periodSeconds: 10, failureThreshold: 3 },
      scratch: ["/var/lib/hotswap"],
      replicas,
      resources: { cpu, memory },
      user: { uid: 10001, gid: 10001 },
      hardened: true,
      service: { type: serviceType, ports: [{ name: "http", port: CONTROL_PLANE_SERVICE_PORT, targetPort: CONTROL_PLANE_PORT }] },
      publish: [{ port: CONTROL_PLANE_PORT, hostPort }],
      disruptionBudget: { maxUnavailable: 1 },
      autoscaling,
      serviceAccountAnnotations: args.serviceAccountAnnotations,
      stopGracePeriodSeconds: 45,
      dependsOn: args.dependsOn,
    });

    const scheme = args.tls ? "https" : "http";
    this.internalUrl = pulumi.output(
      host.kind === "docker" ? `http://${deployed.host}:${CONTROL_PLANE_PORT}` : `${scheme}://${deployed.host}.${host.namespace}.svc.cluster.local`,
    );
    this.endpoint = deployed.publicHost ? deployed.publicHost.apply((h) => `${scheme}://${h}`) : this.internalUrl;
    this.registerOutputs({ internalUrl: this.internalUrl, endpoint: this.endpoint, adminKey: this.adminKey, deployerKey: this.deployerKey, clusterSecret: this.clusterSecret });
  }
}
