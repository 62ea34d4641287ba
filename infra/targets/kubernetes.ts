/**
 * The Kubernetes host: turns workload specs into Deployments or StatefulSets with PVCs, Services,
 * Secrets, ConfigMaps, ServiceAccounts with least-privilege RBAC, NetworkPolicies,
 * PodDisruptionBudgets and HorizontalPodAutoscalers, in one namespace (see KubernetesEnvironment).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type * as k8sInput from "@pulumi/kubernetes/types/input.js";
import { toCpuQuantity, toQuantity } from "../units.ts";
import { LABEL_PREFIX, type DeployedWorkload, type Probe, type WorkloadHost, type WorkloadSpec } from "./workload.ts";

type Container = k8sInput.core.v1.Container;
type Volume = k8sInput.core.v1.Volume;
type VolumeMount = k8sInput.core.v1.VolumeMount;

export const DIND_IMAGE = "docker:27-dind";
const DIND_SOCKET_DIR = "/run/dind";

export interface KubernetesHostOptions {
  namespace: string;
  instance: string;
  provider?: k8s.Provider;
  /** Every object depends on it so the namespace exists first. */
  namespaceResource?: pulumi.Resource;
  /** StorageClass for PVCs; unset uses the cluster default. */
  readonly storageClass?: string;
}

export class KubernetesHost implements WorkloadHost {
  readonly kind = "kubernetes" as const;
  readonly namespace: string;
  readonly storageClass?: string;

  constructor(private readonly options: KubernetesHostOptions) {
    this.namespace = options.namespace;
    this.storageClass = options.storageClass;
  }

  childOptions(parent: pulumi.Resource, extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
    const dependsOn = [...toArray(extra.dependsOn), ...(this.options.namespaceResource ? [this.options.namespaceResource] : [])];
    return { ...extra, parent, provider: this.options.provider, dependsOn };
  }

  replicaHosts(name: string): string[] {
    return [name];
  }

  /** Labels that select a workload's pods; stable for the life of the workload. */
  selectorLabels(spec: Pick<WorkloadSpec, "name">): Record<string, string> {
    return { "app.kubernetes.io/part-of": "hotswap", [`${LABEL_PREFIX}/workload`]: spec.name };
  }

  podLabels(spec: WorkloadSpec): Record<string, string> {
    return {
      ...this.selectorLabels(spec),
      "app.kubernetes.io/name": "hotswap",
      "app.kubernetes.io/instance": this.options.instance,
      "app.kubernetes.io/component": spec.component,
      [`${LABEL_PREFIX}/role`]: spec.role,
      ...spec.labels,
    };
  }

  deploy(parent: pulumi.Resource, prefix: string, spec: WorkloadSpec): DeployedWorkload {
    const opts = (extra?: pulumi.CustomResourceOptions) => this.childOptions(parent, { dependsOn: spec.dependsOn, ...extra });
    const ns = this.namespace;
    const labels = this.podLabels(spec);
    const metadata = (name: string) => ({ name, namespace: ns, labels });
    const resources: pulumi.Resource[] = [];

    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${prefix}-service-account`,
      {
        metadata: { ...metadata(spec.name), annotations: spec.serviceAccountAnnotations },
        // No API access unless the workload asks for it: the token is not even mounted.
        automountServiceAccountToken: Boolean(spec.rbac?.length),
      },
      opts(),
    );
    resources.push(serviceAccount);
    if (spec.rbac?.length) {
      const role = new k8s.rbac.v1.Role(`${prefix}-role`, { metadata: metadata(spec.name), rules: spec.rbac }, opts());
      const binding = new k8s.rbac.v1.RoleBinding(
        `${prefix}-role-binding`,
        {
          metadata: metadata(spec.name),
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: spec.name },
          subjects: [{ kind: "ServiceAccount", name: spec.name, namespace: ns }],
        },
        opts({ dependsOn: [role, serviceAccount] }),
      );
      resources.push(role, binding);
    }

    const env: k8sInput.core.v1.EnvVar[] = [
      ...Object.entries(spec.fieldEnv ?? {}).map(([name, fieldPath]) => ({ name, valueFrom: { fieldRef: { fieldPath } } })),
      ...Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value })),
    ];
    if (spec.secretEnv && Object.keys(spec.secretEnv).length > 0) {
      const secretName = `${spec.name}-env`;
      const secret = new k8s.core.v1.Secret(
        `${prefix}-secret`,
        { metadata: metadata(secretName), type: "Opaque", stringData: pulumi.secret(spec.secretEnv) as pulumi.Input<Record<string, pulumi.Input<string>>> },
        opts(),
      );
      resources.push(secret);
      for (const key of Object.keys(spec.secretEnv)) env.push({ name: key, valueFrom: { secretKeyRef: { name: secretName, key } } });
    }

    const volumes: Volume[] = [];
    const mounts: VolumeMount[] = [];
    for (const f of spec.files ?? []) {
      const configMapName = `${spec.name}-${f.name}`;
      if (f.secret) {
        const data = pulumi.secret(f.files) as pulumi.Input<Record<string, pulumi.Input<string>>>;
        resources.push(new k8s.core.v1.Secret(`${prefix}-${f.name}-secret`, { metadata: metadata(configMapName), type: "Opaque", stringData: data }, opts()));
        volumes.push({ name: `config-${f.name}`, secret: { secretName: configMapName, defaultMode: 0o440 } });
        mounts.push({ name: `config-${f.name}`, mountPath: f.mountPath, readOnly: true });
        continue;
      }
      resources.push(new k8s.core.v1.ConfigMap(`${prefix}-${f.name}-config-map`, { metadata: metadata(configMapName), data: f.files }, opts()));
      volumes.push({ name: `config-${f.name}`, configMap: { name: configMapName } });
      mounts.push({ name: `config-${f.name}`, mountPath: f.mountPath, readOnly: true });
    }
    for (const m of spec.secretMounts ?? []) {
      const items = m.keys ? { items: m.keys.map((key) => ({ key, path: key })) } : {};
      volumes.push({ name: `secret-${m.name}`, secret: { secretName: m.secretName, defaultMode: 0o440, ...items } });
      mounts.push({ name: `secret-${m.name}`, mountPath: m.mountPath, readOnly: true });
    }
    (spec.scratch ?? []).forEach((path, i) => {
      volumes.push({ name: `scratch-${i}`, emptyDir: {} });
      mounts.push({ name: `scratch-${i}`, mountPath: path });
    });
    if (spec.volume) mounts.push({ name: "data", mountPath: spec.volume.mountPath });

    const main: Container = {
      name: spec.component,
      image: spec.image,
      imagePullPolicy: "IfNotPresent",
      command: spec.command,
      args: spec.args,
      env,
      ports: spec.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: "TCP" })),
      livenessProbe: toProbe(spec.liveness),
      readinessProbe: toProbe(spec.readiness),
      volumeMounts: mounts,
      resources: toResources(spec),
      securityContext: spec.hardened
        ? { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } }
        : undefined,
    };
    const containers: Container[] = [main];
    if (spec.docker) this.addDocker(spec, main, containers, volumes);

    const podSpec: k8sInput.core.v1.PodSpec = {
      serviceAccountName: spec.name,
      automountServiceAccountToken: Boolean(spec.rbac?.length),
      containers,
      volumes,
      nodeSelector: spec.scheduling?.nodeSelector && Object.keys(spec.scheduling.nodeSelector).length ? spec.scheduling.nodeSelector : undefined,
      tolerations: spec.scheduling?.tolerations?.length
        ? spec.scheduling.tolerations.map((t) => ({ key: t.key, operator: t.value === undefined ? "Exists" : "Equal", value: t.value, effect: t.effect }))
        : undefined,
      terminationGracePeriodSeconds: spec.stopGracePeriodSeconds,
      securityContext: spec.user ? { runAsUser: spec.user.uid, runAsGroup: spec.user.gid, fsGroup: spec.user.gid } : undefined,
    };
    const template = { metadata: { labels }, spec: podSpec };
    const selector = { matchLabels: this.selectorLabels(spec) };
    const workloadOpts = opts({ dependsOn: [...toArray(spec.dependsOn), ...resources] });

    if (spec.volume) {
      resources.push(
        new k8s.apps.v1.StatefulSet(
          `${prefix}-stateful-set`,
          {
            metadata: metadata(spec.name),
            spec: {
              serviceName: spec.name,
              replicas: spec.replicas,
              selector,
              template,
              volumeClaimTemplates: [
                {
                  metadata: { name: "data", labels },
                  spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: this.storageClass,
                    resources: { requests: { storage: toQuantity(spec.volume.size) } },
                  },
                },
              ],
            },
          },
          workloadOpts,
        ),
      );
    } else {
      resources.push(
        new k8s.apps.v1.Deployment(
          `${prefix}-deployment`,
          { metadata: metadata(spec.name), spec: { replicas: spec.replicas, selector, template } },
          workloadOpts,
        ),
      );
    }

    const serviceType = spec.service?.type ?? "ClusterIP";
    const service = new k8s.core.v1.Service(
      `${prefix}-service`,
      {
        metadata: metadata(spec.name),
        spec: {
          type: serviceType,
          // StatefulSets get a headless service: stable per-pod DNS names.
          clusterIP: spec.volume ? "None" : undefined,
          selector: this.selectorLabels(spec),
          ports: (spec.service?.ports ?? spec.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port }))).map((p) => ({
            name: p.name,
            port: p.port,
            targetPort: p.targetPort,
            protocol: "TCP",
          })),
        },
      },
      opts(),
    );
    resources.push(service);

    if (spec.disruptionBudget) {
      resources.push(
        new k8s.policy.v1.PodDisruptionBudget(`${prefix}-disruption-budget`, { metadata: metadata(spec.name), spec: { ...spec.disruptionBudget, selector } }, opts()),
      );
    }
    if (spec.autoscaling) {
      const a = spec.autoscaling;
      resources.push(
        new k8s.autoscaling.v2.HorizontalPodAutoscaler(
          `${prefix}-autoscaler`,
          {
            metadata: metadata(spec.name),
            spec: {
              scaleTargetRef: { apiVersion: "apps/v1", kind: spec.volume ? "StatefulSet" : "Deployment", name: spec.name },
              minReplicas: a.minReplicas,
              maxReplicas: a.maxReplicas,
              metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: a.cpuUtilization } } }],
            },
          },
          opts(),
        ),
      );
    }
    if (spec.admit) {
      resources.push(
        new k8s.networking.v1.NetworkPolicy(
          `${prefix}-network-policy`,
          {
            metadata: metadata(spec.name),
            spec: {
              podSelector: { matchLabels: this.selectorLabels(spec) },
              policyTypes: ["Ingress"],
              ingress: spec.admit.map((rule) => ({
                ports: rule.ports.map((port) => ({ port, protocol: "TCP" })),
                from:
                  rule.from === "any"
                    ? undefined
                    : rule.from.map((role) => ({ podSelector: { matchLabels: { "app.kubernetes.io/part-of": "hotswap", [`${LABEL_PREFIX}/role`]: role } } })),
              })),
            },
          },
          opts(),
        ),
      );
    }

    const publicHost =
      serviceType === "LoadBalancer"
        ? service.status.apply((s) => s?.loadBalancer?.ingress?.[0]?.hostname ?? s?.loadBalancer?.ingress?.[0]?.ip ?? "")
        : undefined;
    return { host: spec.name, replicaHosts: [spec.name], publicHost, resources };
  }

  /** Give the workload a Docker engine: a privileged `docker:dind` sidecar, or the node's socket. */
  private addDocker(spec: WorkloadSpec, main: Container, containers: Container[], volumes: Volume[]): void {
    const docker = spec.docker!;
    const mounts = main.volumeMounts as VolumeMount[];
    // Function code and channel sockets live here; the engine bind-mounts them into function
    // containers, so the path must be the same for the runner and the engine.
    volumes.push({ name: "work", emptyDir: {} });
    mounts.push({ name: "work", mountPath: docker.workDir });
    if (docker.socket === "host") {
      volumes.push({ name: "docker-socket", hostPath: { path: docker.hostSocket ?? "/var/run/docker.sock", type: "Socket" } });
      mounts.push({ name: "docker-socket", mountPath: "/var/run/docker.sock" });
      return;
    }
    volumes.push({ name: "dind-socket", emptyDir: {} }, { name: "dind-storage", emptyDir: {} });
    mounts.push({ name: "dind-socket", mountPath: DIND_SOCKET_DIR });
    (main.env as k8sInput.core.v1.EnvVar[]).push({ name: "DOCKER_HOST", value: `unix://${DIND_SOCKET_DIR}/docker.sock` });
    const group = docker.socketGroup ?? String(spec.user?.gid ?? 0);
    containers.push({
      name: "dind",
      image: DIND_IMAGE,
      imagePullPolicy: "IfNotPresent",
      args: [`--host=unix://${DIND_SOCKET_DIR}/docker.sock`, `--group=${group}`],
      env: [{ name: "DOCKER_TLS_CERTDIR", value: "" }],
      securityContext: { privileged: true, runAsUser: 0, runAsNonRoot: false },
      resources: toResources({ resources: docker.resources }),
      readinessProbe: { exec: { command: ["docker", "-H", `unix://${DIND_SOCKET_DIR}/docker.sock`, "info"] }, periodSeconds: 10, failureThreshold: 6 },
      volumeMounts: [
        { name: "dind-socket", mountPath: DIND_SOCKET_DIR },
        { name: "dind-storage", mountPath: "/var/lib/docker" },
        { name: "work", mountPath: docker.workDir },
      ],
    });
  }
}

function toProbe(p: Probe | undefined): k8sInput.core.v1.Probe | undefined {
  if (!p) return undefined;
  return {
    httpGet: p.http ? { path: p.http.path, port: p.http.port, ...(p.http.scheme ? { scheme: p.http.scheme } : {}) } : undefined,
    tcpSocket: p.tcp ? { port: p.tcp.port } : undefined,
    exec: p.exec ? { command: p.exec } : undefined,
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds ?? 10,
    timeoutSeconds: p.timeoutSeconds ?? 3,
    failureThreshold: p.failureThreshold ?? 3,
  };
}

function toResources(spec: Pick<WorkloadSpec, "resources">): k8sInput.core.v1.ResourceRequirements | undefined {
  const r = spec.resources;
  if (!r) return undefined;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r.cpu) requests.cpu = toCpuQuantity(r.cpu);
  // Memory is both requested and limited: a runner's capacity is promised, never overcommitted.
  if (r.memory) requests.memory = limits.memory = toQuantity(r.memory);
  return { requests, limits: Object.keys(limits).length ? limits : undefined };
}

function toArray<T>(value: pulumi.Input<pulumi.Input<T>[]> | pulumi.Input<T> | undefined): T[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}
