/**
 * The kubernetes target's environment: the namespace every HotSwap object lives in, and a provider
 * when a kubeconfig context or a kubeconfig (an EKS cluster's) is given. Its `host` places workloads
 * in that namespace.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { KubernetesHost } from "./kubernetes.ts";

export interface KubernetesEnvironmentArgs {
  /**
   * Namespace every HotSwap object lives in. It is created by this component.
   * @default "hotswap"
   * @example "hotswap-staging"
   */
  namespace?: string;
  /**
   * Kubeconfig context to use. Unset uses the ambient kubeconfig's current context.
   * @example "kind-hotswap"
   * @default undefined (the current context)
   */
  context?: string;
  /**
   * A kubeconfig (YAML or JSON text) for the cluster, e.g. an EKS cluster's. Takes precedence over `context`.
   * @default undefined (the ambient kubeconfig)
   * @example cluster.kubeconfigJson
   */
  kubeconfig?: pulumi.Input<string>;
  /**
   * Allow privileged pods in the namespace (the `docker:dind` sidecar of runner pools needs it).
   * Sets the Pod Security admission level of the namespace.
   * @default false
   * @example true
   */
  privileged?: boolean;
  /**
   * Pulumi stack name, recorded as `app.kubernetes.io/instance`.
   * @default pulumi.getStack()
   * @example "prod"
   */
  instance?: string;
  /**
   * Resources the namespace (and so everything in it) waits for, e.g. a new cluster's node groups.
   * @default []
   * @example [systemNodeGroup]
   */
  dependsOn?: pulumi.Resource[];
  /**
   * StorageClass for persistent volumes.
   * @default the cluster's default StorageClass
   * @example "gp3"
   */
  storageClass?: string;
}

/** Namespace and provider for the kubernetes and aws targets. */
export class KubernetesEnvironment extends pulumi.ComponentResource {
  readonly host: KubernetesHost;
  readonly namespace: k8s.core.v1.Namespace;
  readonly provider?: k8s.Provider;

  constructor(name: string, args: KubernetesEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    const namespace = args.namespace ?? "hotswap";
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(namespace)) {
      throw new pulumi.RunError(`KubernetesEnvironment "${name}": namespace must be a DNS label (a-z, 0-9, '-'), got "${namespace}"`);
    }
    super("hotswap:index:KubernetesEnvironment", name, {}, opts);
    const { privileged = false, instance = pulumi.getStack() } = args;

    if (args.kubeconfig !== undefined || args.context !== undefined) {
      this.provider = new k8s.Provider(
        `${name}-provider`,
        { kubeconfig: args.kubeconfig, context: args.kubeconfig === undefined ? args.context : undefined, enableServerSideApply: true },
        { parent: this },
      );
    }
    this.namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: namespace,
          labels: {
            "app.kubernetes.io/part-of": "hotswap",
            "app.kubernetes.io/instance": instance,
            "pod-security.kubernetes.io/enforce": privileged ? "privileged" : "baseline",
            "pod-security.kubernetes.io/warn": privileged ? "privileged" : "restricted",
          },
        },
      },
      { parent: this, provider: this.provider, dependsOn: args.dependsOn },
    );
    this.host = new KubernetesHost({ namespace, instance, provider: this.provider, namespaceResource: this.namespace, storageClass: args.storageClass });
    this.registerOutputs({ namespace: this.namespace.metadata.name });
  }
}
