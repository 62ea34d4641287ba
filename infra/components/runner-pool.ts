/**
 * RunnerPool: `size` runners (`hotswap runner`) with the same capacity, labels and placement.
 * Each runner drives a Docker engine to run function instances: the host's socket on Docker, a
 * `docker:dind` sidecar (or the node's socket) on Kubernetes. On Kubernetes the runners are
 * scheduled onto the pool's nodes (nodeSelector + tolerations for its taints); on aws the pool
 * also owns those nodes as an EKS managed node group labelled and tainted to match.
 */
import * as pulumi from "@pulumi/pulumi";
import * as eks from "@pulumi/eks";
import { toMegabytes, type Cpu, type Size } from "../units.ts";
import { LABEL_PREFIX, type Taint, type WorkloadHost } from "../targets/workload.ts";
import { LOG_LEVELS } from "../config.ts";
import { ArgsCheck } from "./validate.ts";
import type { S3ConnectionInput } from "./data-services.ts";
import { checkRunnerTls, runnerTlsSpec, type RunnerTlsArgs } from "./runner-tls.ts";

export const RUNNER_PORT = 8081;
const POOL_NAME = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
const LABEL_PART = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
const EKS_TAINT_EFFECT = { NoSchedule: "NO_SCHEDULE", PreferNoSchedule: "PREFER_NO_SCHEDULE", NoExecute: "NO_EXECUTE" } as const;

/** The pool's nodes on aws: an EKS managed node group. */
export interface RunnerNodeGroupArgs {
  /**
   * The EKS cluster.
   * @default (required)
   * @example awsEnvironment.cluster
   */
  cluster: eks.Cluster;
  /**
   * IAM role of the nodes.
   * @default (required)
   * @example nodeRole.arn
   */
  nodeRoleArn: pulumi.Input<string>;
  /**
   * Subnets the nodes go in (private).
   * @default (required)
   * @example network.privateSubnetIds
   */
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * EC2 instance type.
   * @default "m6i.large"
   * @example "m6i.2xlarge"
   */
  instanceType?: string;
  /**
   * Most nodes the group may scale to.
   * @default the pool's size (at least 1)
   * @example 6
   */
  maxSize?: number;
}

export interface RunnerPoolArgs {
  /**
   * Where the runners run.
   * @default (required)
   * @example new KubernetesEnvironment("env").host
   */
  host: WorkloadHost;
  /**
   * Pool name (RUNNER_POOL), also the node label `hotswap.dev/pool` on aws.
   * @default the component's name
   * @example "gpu"
   */
  name?: string;
  /**
   * Runner image (see PlatformImages).
   * @example "hotswap/runner:0.1.0"
   * @default (required)
   */
  image: pulumi.Input<string>;
  /**
   * Digest of a locally built image; Docker replaces the containers when it changes.
   * @default undefined (a pulled image)
   * @example images.runner.digest
   */
  imageDigest?: pulumi.Input<string>;
  /**
   * Runners in the pool (and nodes, on aws).
   * @default 1
   * @example 4
   */
  size?: number;
  /**
   * Memory each runner offers to function instances (RUNNER_MEMORY_MB).
   * @default "4096 MB"
   * @example "16 GB"
   */
  memory?: Size;
  /**
   * CPU each runner's function instances share (the dind sidecar's request on Kubernetes).
   * @default "2 vCPU"
   * @example "4 vCPU"
   */
  cpu?: Cpu;
  /**
   * Most function instances per runner (RUNNER_MAX_INSTANCES).
   * @default 16
   * @example 64
   */
  maxInstances?: number;
  /**
   * Execution backend (RUNNER_BACKEND).
   * @default "docker"
   * @example "process"
   */
  backend?: "docker" | "process";
  /**
   * Runner labels for placement rules (RUNNER_LABELS, as `k=v,k=v`).
   * @default {}
   * @example { tier: "gpu", zone: "a" }
   */
  labels?: Record<string, string>;
  /**
   * Kubernetes node labels the runners are scheduled on (nodeSelector), and the node group's labels on aws.
   * @default {}
   * @example { "node.kubernetes.io/instance-type": "m6i.large" }
   */
  nodeLabels?: Record<string, string>;
  /**
   * Taints of the pool's nodes: the runners tolerate them (and the aws node group carries them).
   * @default []
   * @example [{ key: "hotswap.dev/runner", value: "true", effect: "NoSchedule" }]
   */
  taints?: Taint[];
  /**
   * Kubernetes: where the Docker engine comes from. `dind` runs a privileged `docker:dind` sidecar;
   * `host` mounts the node's /var/run/docker.sock (nodes must run Docker). Docker always uses the host's.
   * @default "dind"
   * @example "host"
   */
  dockerSocket?: "dind" | "host";
  /**
   * Control plane URL (HOTSWAP_CONTROL_PLANE_URL), from ControlPlane.
   * @default (required)
   * @example controlPlane.internalUrl
   */
  controlPlaneUrl: pulumi.Input<string>;
  /**
   * Shared secret with the control plane (secret), from ControlPlane.
   * @default (required)
   * @example controlPlane.clusterSecret
   */
  clusterSecret: pulumi.Input<string>;
  /**
   * Redis URL (secret), from DataServices.
   * @default (required)
   * @example data.redisUrl
   */
  redisUrl: pulumi.Input<string>;
  /**
   * S3 code store (runners fetch code), from DataServices.
   * @default (required)
   * @example data.s3
   */
  s3: S3ConnectionInput;
  /**
   * OTLP/HTTP endpoint, from Observability.
   * @default (required)
   * @example observability.otlpEndpoint
   */
  otlpEndpoint: pulumi.Input<string>;
  /**
   * @default "info"
   * @example "debug"
   */
  logLevel?: (typeof LOG_LEVELS)[number];
  /**
   * Serve the runner API over HTTPS with this certificate (HOTSWAP_RUNNER_TLS_CERT/KEY, mounted
   * at /etc/hotswap/runner-tls); give the ControlPlane the same `runnerTls` so it trusts the CA.
   * @default undefined (plain HTTP, authenticated by the cluster secret)
   * @example { cert: config.require("runnerCert"), key: config.requireSecret("runnerKey"), ca: config.require("runnerCa") }
   */
  tls?: RunnerTlsArgs;
  /**
   * aws: create the pool's nodes as an EKS managed node group.
   * @default undefined (the cluster's existing nodes)
   * @example { ...awsEnvironment.nodeGroupBase(), instanceType: "m6i.2xlarge", maxSize: 6 }
   */
  nodeGroup?: RunnerNodeGroupArgs;
  /**
   * ServiceAccount annotations (e.g. `eks.amazonaws.com/role-arn` for S3 on EKS).
   * @default undefined
   * @example { "eks.amazonaws.com/role-arn": data.s3RoleArn }
   */
  serviceAccountAnnotations?: Record<string, pulumi.Input<string>>;
  /**
   * Resources that must be ready first (the ControlPlane).
   * @default []
   * @example [controlPlane]
   */
  dependsOn?: pulumi.Resource[];
}

export class RunnerPool extends pulumi.ComponentResource {
  readonly poolName: string;
  /** In-network host names of the runners. */
  readonly hosts: string[];
  readonly nodeGroup?: eks.ManagedNodeGroup;

  constructor(name: string, args: RunnerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    const poolName = args.name ?? name;
    const check = new ArgsCheck("RunnerPool", name);
    if (!args.host) check.fail("host is required");
    check.matches("name", poolName, POOL_NAME, '1-32 characters of a-z, 0-9 and "-", starting with a letter');
    if (args.image === undefined) check.fail("image is required");
    for (const key of ["controlPlaneUrl", "clusterSecret", "redisUrl", "otlpEndpoint"] as const) if (args[key] === undefined) check.fail(`${key} is required`);
    if (!args.s3) check.fail("s3 is required");
    if (args.size !== undefined) check.int("size", args.size, 0);
    if (args.memory !== undefined) check.size("memory", args.memory);
    if (args.cpu !== undefined) check.cpu("cpu", args.cpu);
    if (args.maxInstances !== undefined) check.int("maxInstances", args.maxInstances, 1);
    if (args.backend !== undefined) check.oneOf("backend", args.backend, ["docker", "process"]);
    if (args.dockerSocket !== undefined) check.oneOf("dockerSocket", args.dockerSocket, ["dind", "host"]);
    checkRunnerTls(check, "tls", args.tls, args.host);
    for (const [k, v] of Object.entries(args.labels ?? {})) {
      if (!LABEL_PART.test(k) || !(v === "" || LABEL_PART.test(v))) check.fail(`labels.${k} must be a label name and value without "," or "=" (got "${k}=${v}")`);
    }
    for (const k of Object.keys(args.nodeLabels ?? {})) if (!LABEL_PART.test(k)) check.fail(`nodeLabels key "${k}" must be a label name`);
    (args.taints ?? []).forEach((t, i) => {
      if (!t || !LABEL_PART.test(t.key ?? "")) check.fail(`taints[${i}].key must be a label name`);
      check.oneOf(`taints[${i}].effect`, t.effect, Object.keys(EKS_TAINT_EFFECT));
    });
    if (args.nodeGroup?.maxSize !== undefined) check.int("nodeGroup.maxSize", args.nodeGroup.maxSize, Math.max(1, args.size ?? 1));
    super("hotswap:index:RunnerPool", name, {}, opts);

    const {
      host,
      size = 1,
      memory = "4096 MB",
      cpu = "2 vCPU",
      maxInstances = 16,
      backend = "docker",
      labels = {},
      taints = [],
      logLevel = "info",
    } = args;
    const dockerSocket = host.kind === "docker" ? "host" : (args.dockerSocket ?? "dind");
    this.poolName = poolName;
    const nodeLabels: Record<string, string> = { ...args.nodeLabels };

    const dependsOn = [...(args.dependsOn ?? [])];
    if (args.nodeGroup) {
      const ng = args.nodeGroup;
      // The pool's nodes carry its name, so the runners select exactly them.
      nodeLabels[`${LABEL_PREFIX}/pool`] = poolName;
      this.nodeGroup = new eks.ManagedNodeGroup(
        `${name}-node-group`,
        {
          cluster: ng.cluster,
          nodeRoleArn: ng.nodeRoleArn,
          subnetIds: ng.subnetIds,
          instanceTypes: [ng.instanceType ?? "m6i.large"],
          scalingConfig: { desiredSize: size, minSize: size, maxSize: ng.maxSize ?? Math.max(1, size) },
          labels: nodeLabels,
          taints: taints.map((t) => ({ key: t.key, value: t.value, effect: EKS_TAINT_EFFECT[t.effect] })),
        },
        { parent: this },
      );
      dependsOn.push(this.nodeGroup);
    }

    const secretEnv: Record<string, pulumi.Input<string>> = { REDIS_URL: args.redisUrl, HOTSWAP_CLUSTER_SECRET: args.clusterSecret };
    if (args.s3.accessKeyId !== undefined) secretEnv.S3_ACCESS_KEY_ID = args.s3.accessKeyId;
    if (args.s3.secretAccessKey !== undefined) secretEnv.S3_SECRET_ACCESS_KEY = args.s3.secretAccessKey;
    const tls = args.tls ? runnerTlsSpec(args.tls) : undefined;
    const scheme = tls ? "https" : "http";
    const health = { path: "/health", port: RUNNER_PORT, ...(tls ? { scheme: "HTTPS" as const } : {}) };
    const workload = `runner-${poolName}`;
    this.hosts = host.replicaHosts(workload, size);

    host.deploy(this, `${name}-runner`, {
      name: workload,
      component: "runner",
      role: "runner",
      labels: { [`${LABEL_PREFIX}/pool`]: poolName },
      image: args.image,
      imageDigest: args.imageDigest,
      args: ["runner"],
      // The pod IP, not a guess from the interfaces: a dind sidecar adds docker0 to the pod's network.
      fieldEnv: host.kind === "kubernetes" ? { POD_IP: "status.podIP" } : undefined,
      env: {
        HOTSWAP_CONTROL_PLANE_URL: args.controlPlaneUrl,
        RUNNER_LISTEN: `0.0.0.0:${RUNNER_PORT}`,
        ...(host.kind === "kubernetes" ? { RUNNER_ADVERTISE_URL: `${scheme}://$(POD_IP):${RUNNER_PORT}` } : {}),
        RUNNER_POOL: poolName,
        RUNNER_LABELS: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(","),
        RUNNER_MEMORY_MB: String(toMegabytes(memory)),
        RUNNER_MAX_INSTANCES: String(maxInstances),
        RUNNER_BACKEND: backend,
        S3_ENDPOINT: args.s3.endpoint,
        S3_BUCKET: args.s3.bucket,
        S3_REGION: args.s3.region,
        HOTSWAP_DATA_DIR: "/var/lib/hotswap",
        LOG_LEVEL: logLevel,
        OTEL_EXPORTER_OTLP_ENDPOINT: args.otlpEndpoint,
        OTEL_SERVICE_NAME: "hotswap-runner",
        ...tls?.env,
      },
      secretEnv,
      ...(tls?.files ? { files: tls.files } : {}),
      ...(tls?.secretMounts ? { secretMounts: tls.secretMounts } : {}),
      ports: [{ name: "http", port: RUNNER_PORT }],
      readiness: { http: health, periodSeconds: 5, failureThreshold: 2 },
      liveness: { http: health, initialDelaySeconds: 20, failureThreshold: 3 },
      replicas: size,
      // The agent itself is small; function instances get the pool's capacity (see `docker`).
      resources: { cpu: "0.25 vCPU", memory: "256 MB" },
      user: { uid: 10001, gid: 10001 },
      hardened: true,
      scheduling: { nodeSelector: nodeLabels, tolerations: taints },
      docker: backend === "docker" ? { socket: dockerSocket, workDir: "/var/lib/hotswap", resources: { cpu, memory } } : undefined,
      // Invocations come from the control plane, scrapes from Prometheus; nothing else gets in.
      admit: [{ ports: [RUNNER_PORT], from: ["control-plane", "observability"] }],
      serviceAccountAnnotations: args.serviceAccountAnnotations,
      stopGracePeriodSeconds: 60,
      dependsOn,
    });
    this.registerOutputs({ poolName, hosts: this.hosts });
  }
}
