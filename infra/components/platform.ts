/**
 * Platform: one HotSwap environment on one target. It picks the target's environment (a Docker
 * network; a Kubernetes namespace; on aws a VPC, an EKS cluster and a namespace on it), builds the
 * images, then composes DataServices, Observability, the ControlPlane and one RunnerPool per pool,
 * wiring every connection string and secret between them. Its outputs (`apiEndpoint`, `adminKey`, `deployerKey`)
 * are what function stacks read through a StackReference.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Cpu, Duration, Size } from "../units.ts";
import type { LOG_LEVELS, Target } from "../config.ts";
import type { Taint, WorkloadHost } from "../targets/workload.ts";
import { DockerEnvironment } from "../targets/docker.ts";
import { KubernetesEnvironment } from "../targets/kubernetes-environment.ts";
import { AwsEnvironment } from "../targets/aws.ts";
import { RUNTIME_IDS } from "../../protocol/runtimes.ts";
import { PlatformImages, type BuiltImage } from "./images.ts";
import { DataServices } from "./data-services.ts";
import { Observability } from "./observability.ts";
import { CONTROL_PLANE_PORT, ControlPlane } from "./control-plane.ts";
import { RUNNER_PORT, RunnerPool } from "./runner-pool.ts";
import type { RunnerTlsArgs } from "./runner-tls.ts";
import { ArgsCheck } from "./validate.ts";

export interface PlatformRunnerPoolArgs {
  /**
   * Pool name (RUNNER_POOL).
   * @example "default"
   * @default (required)
   */
  name: string;
  /**
   * Runners (nodes on aws).
   * @default 1
   * @example 3
   */
  size?: number;
  /**
   * Memory per runner for function instances.
   * @default "4096 MB"
   * @example "16 GB"
   */
  memory?: Size;
  /**
   * CPU per runner for function instances.
   * @default "2 vCPU"
   * @example "4 vCPU"
   */
  cpu?: Cpu;
  /**
   * Most instances per runner.
   * @default 16
   * @example 32
   */
  maxInstances?: number;
  /**
   * RUNNER_LABELS.
   * @default {}
   * @example { tier: "fast" }
   */
  labels?: Record<string, string>;
  /**
   * Node labels the runners are scheduled on.
   * @default {}
   * @example { "hotswap.dev/runner": "true" }
   */
  nodeLabels?: Record<string, string>;
  /**
   * Taints of the pool's nodes.
   * @default []
   * @example [{ key: "hotswap.dev/runner", value: "true", effect: "NoSchedule" }]
   */
  taints?: Taint[];
  /**
   * Kubernetes: `dind` sidecar or the node's Docker socket.
   * @default "dind"
   * @example "host"
   */
  dockerSocket?: "dind" | "host";
  /**
   * aws: EC2 instance type of the pool's nodes.
   * @default "m6i.large"
   * @example "m6i.2xlarge"
   */
  instanceType?: string;
  /**
   * aws: most nodes.
   * @default size
   * @example 6
   */
  maxSize?: number;
}

export interface PlatformArgs {
  /**
   * Where to run: one Docker host, any Kubernetes cluster, or a new EKS cluster.
   * @example "docker"
   * @default (required)
   */
  target: Target;
  /**
   * Image tag of the built images.
   * @example "0.1.0"
   * @default (required)
   */
  version: string;
  /**
   * Log level of the control plane and runners.
   * @default "info"
   * @example "debug"
   */
  logLevel?: (typeof LOG_LEVELS)[number];
  /**
   * Admin API key; generated when unset.
   * @default a generated `hs_<id>_<secret>`
   * @example config.requireSecret("adminKey")
   */
  adminKey?: pulumi.Input<string>;
  /**
   * Images. See PlatformImages.
   * @default { bases: "official", runtimes: true } (ECR repositories on aws when no registry is given)
   * @example { registry: "ghcr.io/acme", bases: "offline" }
   */
  images?: { registry?: string; push?: boolean; bases?: "official" | "offline"; runtimes?: boolean; controlPlane?: string; runner?: string };
  /**
   * Control plane sizing. See ControlPlane.
   * @default { replicas: 2 (1 on docker), cpu: "0.5 vCPU", memory: "512 MB" }
   * @example { replicas: 3, serviceType: "LoadBalancer" }
   */
  controlPlane?: {
    replicas?: number;
    cpu?: Cpu;
    memory?: Size;
    autoscaling?: { maxReplicas: number; cpuUtilization?: number } | false;
    serviceType?: "ClusterIP" | "NodePort" | "LoadBalancer";
  };
  /**
   * Runners serve HTTPS with this certificate and the control planes trust its CA (see RunnerTlsArgs).
   * @default undefined (plain HTTP between control planes and runners, authenticated by the cluster secret)
   * @example { cert: config.require("runnerCert"), key: config.requireSecret("runnerKey"), ca: config.require("runnerCa") }
   */
  runnerTls?: RunnerTlsArgs;
  /**
   * Runner pools.
   * @default [{ name: "default", size: 1 }]
   * @example [{ name: "default", size: 2 }, { name: "big", size: 1, memory: "16 GB", taints: [...] }]
   */
  runnerPools?: PlatformRunnerPoolArgs[];
  /**
   * Data services. See DataServices. `managed` (aws only) uses RDS, ElastiCache and S3.
   * @default { managed: false, postgres: { storage: "10 GB" }, redis: { storage: "2 GB" }, objectStore: { storage: "20 GB", bucket: "hotswap-code" } }
   * @example { managed: true, postgres: { instanceClass: "db.r6g.large" } }
   */
  data?: {
    managed?: boolean;
    storageClass?: string;
    postgres?: { storage?: Size; instanceClass?: string };
    redis?: { storage?: Size; nodeType?: string };
    objectStore?: { storage?: Size; bucket?: string };
  };
  /**
   * Observability. See Observability.
   * @default { grafana: false, retention: "15 days", storage: "10 GB" }
   * @example { grafana: true, retention: "30 days" }
   */
  observability?: { grafana?: boolean; retention?: Duration; storage?: Size };
  /**
   * docker target. See DockerEnvironment.
   * @default { bindAddress: "127.0.0.1", apiPort: 8080, socket: "/var/run/docker.sock", socketGroup: "0" }
   * @example { apiPort: 18080 }
   */
  docker?: { bindAddress?: string; apiPort?: number; socket?: string; socketGroup?: string };
  /**
   * kubernetes target (and the namespace on aws).
   * @default { namespace: "hotswap" }
   * @example { namespace: "hotswap", context: "kind-hotswap" }
   */
  kubernetes?: { namespace?: string; context?: string };
  /**
   * aws target. See AwsEnvironment.
   * @example { region: "us-east-1", systemNodes: { instanceType: "t3.large", size: 2 } }
   * @default undefined (required on the aws target)
   */
  aws?: { region: string; kubernetesVersion?: string; vpcCidr?: string; availabilityZones?: number; systemNodes?: { instanceType?: string; size?: number } };
}

export class Platform extends pulumi.ComponentResource {
  /** URL of the HTTP API (and the console). */
  readonly apiEndpoint: pulumi.Output<string>;
  /** Admin API key (secret). */
  readonly adminKey: pulumi.Output<string>;
  /** A deployer API key (secret) for function stacks: everything but key management. */
  readonly deployerKey: pulumi.Output<string>;
  readonly host: WorkloadHost;
  readonly images: PlatformImages;
  readonly data: DataServices;
  readonly observability: Observability;
  readonly controlPlane: ControlPlane;
  readonly runnerPools: RunnerPool[];
  readonly aws?: AwsEnvironment;

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    const check = new ArgsCheck("Platform", name);
    check.oneOf("target", args.target, ["docker", "kubernetes", "aws"]);
    check.nonEmpty("version", args.version);
    if (args.target === "aws" && !args.aws?.region) check.fail("aws.region is required on the aws target");
    if (args.data?.managed && args.target !== "aws") check.fail("data.managed is only available on the aws target");
    const pools = args.runnerPools ?? [{ name: "default" }];
    if (pools.length === 0) check.fail("runnerPools must list at least one pool");
    const names = new Set<string>();
    for (const p of pools) {
      if (names.has(p.name)) check.fail(`runnerPools has two pools named "${p.name}"`);
      names.add(p.name);
    }
    super("hotswap:index:Platform", name, {}, opts);

    const { target, version, logLevel = "info" } = args;
    const child = { parent: this };
    const usesDind = pools.some((p) => (p.dockerSocket ?? "dind") === "dind");
    const imageNames = ["control-plane", "runner", ...(args.images?.runtimes === false ? [] : RUNTIME_IDS.map((id) => `runtime-${id}`))];

    if (target === "docker") {
      const d = args.docker ?? {};
      this.host = new DockerEnvironment(`${name}-docker`, { bindAddress: d.bindAddress, socket: d.socket, socketGroup: d.socketGroup }, child).host;
    } else if (target === "kubernetes") {
      this.host = new KubernetesEnvironment(
        `${name}-kubernetes`,
        { namespace: args.kubernetes?.namespace, context: args.kubernetes?.context, privileged: usesDind, storageClass: args.data?.storageClass },
        child,
      ).host;
    } else {
      this.aws = new AwsEnvironment(
        `${name}-aws`,
        {
          ...args.aws!,
          namespace: args.kubernetes?.namespace,
          privileged: usesDind,
          // Without a registry of the user's, the images go to ECR repositories made for them.
          repositories: args.images?.registry || (args.images?.controlPlane && args.images?.runner) ? [] : imageNames,
        },
        child,
      );
      this.host = this.aws.kubernetes.host;
    }
    const host = this.host;

    const img = args.images ?? {};
    this.images = new PlatformImages(
      `${name}-images`,
      {
        version,
        registry: img.registry,
        push: img.push,
        load: target === "docker",
        bases: img.bases,
        runtimes: img.runtimes,
        controlPlaneImage: img.controlPlane,
        runnerImage: img.runner,
        repositories: this.aws?.repositories,
        registryAuth: this.aws?.registryAuth,
      },
      child,
    );
    // Docker runs the locally built tag (replaced when the digest changes); clusters pull `ref`.
    const deployable = (built: BuiltImage, prebuilt: string | undefined) =>
      target === "docker" && !prebuilt ? { image: built.tag, imageDigest: built.digest } : { image: built.ref };

    const namespace = host.namespace ?? "hotswap";
    const managed = args.data?.managed && this.aws;
    this.data = new DataServices(
      `${name}-data`,
      {
        host,
        postgres: { storage: args.data?.postgres?.storage },
        redis: { storage: args.data?.redis?.storage },
        objectStore: { storage: args.data?.objectStore?.storage, bucket: args.data?.objectStore?.bucket },
        managed: managed
          ? {
              vpcId: managed.network.vpcId,
              subnetIds: managed.network.privateSubnetIds,
              allowedCidr: managed.network.cidr,
              region: args.aws!.region,
              oidcProviderArn: managed.cluster.oidcProviderArn,
              oidcProviderUrl: managed.cluster.oidcIssuer,
              namespace,
              serviceAccounts: ["control-plane", "runner-*"],
              postgresInstanceClass: args.data?.postgres?.instanceClass,
              redisNodeType: args.data?.redis?.nodeType,
            }
          : undefined,
      },
      child,
    );
    const s3Annotations = this.data.s3RoleArn ? { "eks.amazonaws.com/role-arn": this.data.s3RoleArn } : undefined;

    // Prometheus's credentials exist before both it and the control plane: a viewer key for the
    // control plane's /metrics (HOTSWAP_METRICS_KEY) and the cluster secret the runners check.
    const randomSecret = (suffix: string, length: number) => new random.RandomPassword(`${name}-${suffix}`, { length, special: false }, child).result;
    const metricsKeyId = new random.RandomString(`${name}-metrics-key-id`, { length: 12, upper: false, special: false }, child).result;
    const metricsKey = pulumi.secret(pulumi.interpolate`hs_${metricsKeyId}_${randomSecret("metrics-key-secret", 40)}`);
    const clusterSecret = pulumi.secret(randomSecret("cluster-secret", 48));
    this.observability = new Observability(
      `${name}-observability`,
      {
        host,
        scrapeCredentials: { metricsKey, clusterSecret },
        scrape: {
          controlPlane: { name: "control-plane", port: CONTROL_PLANE_PORT },
          runnerPools: pools.map((p) => ({ name: p.name, hosts: host.replicaHosts(`runner-${p.name}`, p.size ?? 1), port: RUNNER_PORT })),
        },
        grafana: args.observability?.grafana,
        retention: args.observability?.retention,
        storage: args.observability?.storage,
      },
      child,
    );

    const cp = args.controlPlane ?? {};
    this.controlPlane = new ControlPlane(
      `${name}-control-plane`,
      {
        host,
        ...deployable(this.images.controlPlane, img.controlPlane),
        replicas: cp.replicas,
        cpu: cp.cpu,
        memory: cp.memory,
        autoscaling: cp.autoscaling,
        serviceType: cp.serviceType,
        hostPort: args.docker?.apiPort,
        databaseUrl: this.data.databaseUrl,
        redisUrl: this.data.redisUrl,
        s3: this.data.s3,
        otlpEndpoint: this.observability.otlpEndpoint,
        adminKey: args.adminKey,
        runnerTls: args.runnerTls,
        metricsKey,
        clusterSecret,
        logLevel,
        serviceAccountAnnotations: s3Annotations,
        dependsOn: [this.data, this.observability],
      },
      child,
    );

    this.runnerPools = pools.map(
      (p) =>
        new RunnerPool(
          `${name}-pool-${p.name}`,
          {
            host,
            name: p.name,
            ...deployable(this.images.runner, img.runner),
            size: p.size,
            memory: p.memory,
            cpu: p.cpu,
            maxInstances: p.maxInstances,
            labels: p.labels,
            nodeLabels: p.nodeLabels,
            taints: p.taints,
            dockerSocket: p.dockerSocket,
            controlPlaneUrl: this.controlPlane.internalUrl,
            clusterSecret: this.controlPlane.clusterSecret,
            redisUrl: this.data.redisUrl,
            s3: this.data.s3,
            otlpEndpoint: this.observability.otlpEndpoint,
            logLevel,
            tls: args.runnerTls,
            nodeGroup: this.aws ? { ...this.aws.nodeGroupBase(), instanceType: p.instanceType, maxSize: p.maxSize } : undefined,
            serviceAccountAnnotations: s3Annotations,
            dependsOn: [this.controlPlane],
          },
          child,
        ),
    );

    this.apiEndpoint = this.controlPlane.endpoint;
    this.adminKey = this.controlPlane.adminKey;
    this.deployerKey = this.controlPlane.deployerKey;
    this.registerOutputs(this.outputs());
  }

  /** The stack outputs: what `pulumi stack output` shows and StackReferences read. */
  outputs(): Record<string, pulumi.Input<unknown> | undefined> {
    return {
      target: this.host.kind === "docker" ? "docker" : this.aws ? "aws" : "kubernetes",
      apiEndpoint: this.apiEndpoint,
      consoleUrl: this.apiEndpoint.apply((u) => `${u}/`),
      adminKey: pulumi.secret(this.adminKey),
      deployerKey: pulumi.secret(this.deployerKey),
      namespace: this.host.namespace,
      jaegerUrl: this.observability.jaegerUrl,
      prometheusUrl: this.observability.prometheusUrl,
      grafanaUrl: this.observability.grafanaUrl,
      grafanaAdminPassword: this.observability.grafanaAdminPassword,
      runnerPools: this.runnerPools.map((p) => p.poolName),
      kubeconfig: this.aws?.kubeconfig,
      clusterName: this.aws?.clusterName,
    };
  }
}
