/**
 * The port between HotSwap's components and the place they run. A component describes each
 * long-running process as a `WorkloadSpec` (image, env, ports, probes, storage, who may connect);
 * a `WorkloadHost` turns it into Docker containers and volumes, or Kubernetes Deployments,
 * StatefulSets, Services, Secrets, ConfigMaps, ServiceAccounts and NetworkPolicies.
 * Components stay target-neutral; each host owns its target's details.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Cpu, Size } from "../units.ts";

/** What a workload is, for labels, scrape discovery and network policy. */
export type WorkloadRole = "data" | "control-plane" | "runner" | "observability";

export interface Probe {
  /** `scheme` HTTPS for a workload that serves TLS (the kubelet does not verify the certificate). */
  http?: { path: string; port: number; scheme?: "HTTP" | "HTTPS" };
  tcp?: { port: number };
  exec?: string[];
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export interface WorkloadSpec {
  /** Object and DNS name inside the platform: `postgres`, `control-plane`, `runner-default`. */
  name: string;
  /** `app.kubernetes.io/component`: `postgres`, `control-plane`, `runner`. */
  component: string;
  role: WorkloadRole;
  /** Extra pod/container labels, e.g. `hotswap.dev/pool`. */
  labels?: Record<string, string>;
  image: pulumi.Input<string>;
  /**
   * Set for images this program builds: changes with the image's content, and Docker replaces the
   * container when it does. Images without it (Postgres, Redis, ...) are pulled from their registry.
   */
  imageDigest?: pulumi.Input<string>;
  /** Overrides the image's entrypoint. */
  command?: string[];
  args?: pulumi.Input<string>[];
  env?: Record<string, pulumi.Input<string>>;
  /**
   * Kubernetes only: env from the downward API (name → fieldPath, e.g. `POD_IP: "status.podIP"`),
   * declared first so `env` values can refer to them as `$(POD_IP)`.
   */
  fieldEnv?: Record<string, string>;
  /** Values that must stay secret: a Kubernetes Secret referenced by name, Docker env marked secret. */
  secretEnv?: Record<string, pulumi.Input<string>>;
  ports: Array<{ name: string; port: number }>;
  liveness?: Probe;
  readiness?: Probe;
  /** Docker HEALTHCHECK command (CMD-SHELL) for images whose own healthcheck is missing. */
  dockerHealthcheck?: string;
  /** Persistent storage: a PVC per replica (StatefulSet) on Kubernetes, a named volume on Docker. */
  volume?: { mountPath: string; size: Size };
  /** Writable scratch directories (emptyDir on Kubernetes; the image's own directory on Docker). */
  scratch?: string[];
  /**
   * Configuration files mounted read-only: a ConfigMap on Kubernetes, uploaded files on Docker.
   * With `secret`, a Kubernetes Secret (mode 0440) and secret outputs on Docker (credentials).
   */
  files?: Array<{ name: string; mountPath: string; files: Record<string, pulumi.Input<string>>; secret?: boolean }>;
  /**
   * Kubernetes only: Secrets that exist already (made by cert-manager or by hand), mounted read-only
   * (mode 0440) at `mountPath`, e.g. a `kubernetes.io/tls` Secret's `tls.crt` and `tls.key`.
   * With `keys`, only those entries of the Secret appear (e.g. a CA without the key beside it).
   */
  secretMounts?: Array<{ name: string; secretName: pulumi.Input<string>; mountPath: string; keys?: string[] }>;
  replicas: number;
  resources?: { cpu?: Cpu; memory?: Size };
  /** Run as this uid/gid; volumes are made group-writable for it. */
  user?: { uid: number; gid: number };
  /** Hardened container: non-root, no privilege escalation, all capabilities dropped. */
  hardened?: boolean;
  scheduling?: { nodeSelector?: Record<string, string>; tolerations?: Taint[] };
  /**
   * The workload drives a Docker engine: a `docker:dind` sidecar (which then holds `resources`, the
   * capacity its containers share) or the node's/host's socket. `workDir` is shared with the engine
   * at the same path, so the engine can bind-mount what the workload writes there.
   */
  docker?: { socket: "dind" | "host"; hostSocket?: string; socketGroup?: string; workDir: string; resources?: { cpu?: Cpu; memory?: Size } };
  /** NetworkPolicy ingress on Kubernetes: which roles may reach which ports. Unset admits everyone. */
  admit?: Array<{ ports: number[]; from: WorkloadRole[] | "any" }>;
  /** The Service in front of the workload. Headless for StatefulSets, ClusterIP otherwise. */
  service?: { type?: "ClusterIP" | "NodePort" | "LoadBalancer"; ports?: Array<{ name: string; port: number; targetPort: number }> };
  /** Docker: publish container ports on the host's loopback (or `bindAddress`). */
  publish?: Array<{ port: number; hostPort: number }>;
  /** Kubernetes: a PodDisruptionBudget. */
  disruptionBudget?: { maxUnavailable: number } | { minAvailable: number };
  /** Kubernetes: a HorizontalPodAutoscaler on CPU. */
  autoscaling?: { minReplicas: number; maxReplicas: number; cpuUtilization: number };
  /** Kubernetes API access for the workload's ServiceAccount (namespace-scoped Role). None by default. */
  rbac?: PolicyRule[];
  /** Annotations on the ServiceAccount (e.g. an IAM role for service accounts on EKS). */
  serviceAccountAnnotations?: Record<string, pulumi.Input<string>>;
  /** Seconds between SIGTERM and SIGKILL. */
  stopGracePeriodSeconds?: number;
  dependsOn?: pulumi.Resource[];
}

export interface DeployedWorkload {
  /** In-network host name (`postgres`; `runner-default-0` for a Docker replica). */
  host: string;
  /** Every replica's in-network host name (scrape targets on Docker). */
  replicaHosts: string[];
  /** An address reachable from outside the platform, when the workload is published. */
  publicHost?: pulumi.Output<string>;
  resources: pulumi.Resource[];
}

export interface WorkloadHost {
  readonly kind: "docker" | "kubernetes";
  /** Kubernetes namespace, when there is one. */
  readonly namespace?: string;
  /**
   * Create the workload's resources as children of `parent`, every name prefixed with `prefix`
   * (the calling component's name plus the workload's name).
   */
  deploy(parent: pulumi.Resource, prefix: string, spec: WorkloadSpec): DeployedWorkload;
  /** The in-network host names `deploy` gives a workload's replicas (known before it is deployed). */
  replicaHosts(name: string, replicas: number): string[];
  /** Options for resources a component creates directly on this host (provider, parent). */
  childOptions(parent: pulumi.Resource, extra?: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions;
}

export const LABEL_PREFIX = "hotswap.dev";
