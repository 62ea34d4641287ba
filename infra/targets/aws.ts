/**
 * The aws target: a VPC with private subnets, an EKS cluster (access entries, IAM OIDC provider for
 * service-account roles, EBS CSI driver for the data volumes), a small untainted "system" node group
 * for the control plane, data services and observability, ECR repositories for the images, and a
 * KubernetesEnvironment on the cluster through a provider built from its kubeconfig. The runner
 * pools' node groups are created by each RunnerPool from `nodeGroupBase()`.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import { Network } from "./aws-network.ts";
import { KubernetesEnvironment } from "./kubernetes-environment.ts";
import { LABEL_PREFIX } from "./workload.ts";

const NODE_POLICIES = [
  "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
  "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
  "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
  "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
];

export interface AwsEnvironmentArgs {
  /**
   * AWS region (`aws:region`).
   * @example "us-east-1"
   * @default (required)
   */
  region: string;
  /**
   * EKS cluster name; unique per account and region.
   * @default `hotswap-${pulumi.getStack()}`
   * @example "hotswap-prod"
   */
  clusterName?: string;
  /**
   * Kubernetes version of the cluster.
   * @default "1.33"
   * @example "1.32"
   */
  kubernetesVersion?: string;
  /**
   * VPC CIDR.
   * @default "10.0.0.0/16"
   * @example "10.20.0.0/16"
   */
  vpcCidr?: string;
  /**
   * Availability zones.
   * @default 2
   * @example 3
   */
  availabilityZones?: number;
  /**
   * Nodes for everything but the runners.
   * @default { instanceType: "t3.large", size: 2 }
   * @example { instanceType: "m6i.large", size: 3 }
   */
  systemNodes?: { instanceType?: string; size?: number };
  /**
   * Namespace of the platform on the cluster.
   * @default "hotswap"
   * @example "hotswap-prod"
   */
  namespace?: string;
  /**
   * Allow privileged pods (runner pools with a docker:dind sidecar).
   * @default true
   * @example false
   */
  privileged?: boolean;
  /**
   * Create ECR repositories for these images (`hotswap-<stack>/<image>`) and registry credentials for pushing.
   * @default [] (no repositories)
   * @example ["control-plane", "runner"]
   */
  repositories?: string[];
}

export class AwsEnvironment extends pulumi.ComponentResource {
  readonly clusterName: string;
  readonly network: Network;
  readonly cluster: eks.Cluster;
  readonly nodeRole: aws.iam.Role;
  readonly kubernetes: KubernetesEnvironment;
  /** Kubeconfig of the cluster (secret). */
  readonly kubeconfig: pulumi.Output<string>;
  /** Repository URL per image name. */
  readonly repositories: Record<string, pulumi.Output<string>>;
  /** Credentials for pushing to the repositories. */
  readonly registryAuth?: { address: pulumi.Output<string>; username: pulumi.Output<string>; password: pulumi.Output<string> };

  constructor(name: string, args: AwsEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    if (!args.region) throw new pulumi.RunError(`AwsEnvironment "${name}": region is required`);
    const size = args.systemNodes?.size ?? 2;
    if (!Number.isInteger(size) || size < 1) throw new pulumi.RunError(`AwsEnvironment "${name}": systemNodes.size must be an integer ≥ 1`);
    super("hotswap:index:AwsEnvironment", name, {}, opts);
    const clusterName = args.clusterName ?? `hotswap-${pulumi.getStack()}`;
    this.clusterName = clusterName;
    const tags = { "app.kubernetes.io/part-of": "hotswap", "hotswap.dev/stack": pulumi.getStack() };

    this.network = new Network(`${name}-network`, { cidr: args.vpcCidr, availabilityZones: args.availabilityZones, tags }, { parent: this });
    this.cluster = new eks.Cluster(
      `${name}-cluster`,
      {
        name: clusterName,
        version: args.kubernetesVersion ?? "1.33",
        vpcId: this.network.vpcId,
        publicSubnetIds: this.network.publicSubnetIds,
        privateSubnetIds: this.network.privateSubnetIds,
        nodeAssociatePublicIpAddress: false,
        authenticationMode: eks.AuthenticationMode.Api,
        skipDefaultNodeGroup: true,
        createOidcProvider: true,
        endpointPrivateAccess: true,
        endpointPublicAccess: true,
        tags,
      },
      { parent: this },
    );

    this.nodeRole = new aws.iam.Role(
      `${name}-node-role`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags,
      },
      { parent: this },
    );
    const attachments = NODE_POLICIES.map(
      (policyArn) =>
        new aws.iam.RolePolicyAttachment(`${name}-node-${policyArn.split("/").pop()}`, { role: this.nodeRole.name, policyArn }, { parent: this }),
    );

    const systemNodes = new eks.ManagedNodeGroup(
      `${name}-system-nodes`,
      {
        cluster: this.cluster,
        nodeRoleArn: this.nodeRole.arn,
        subnetIds: this.network.privateSubnetIds,
        instanceTypes: [args.systemNodes?.instanceType ?? "t3.large"],
        scalingConfig: { desiredSize: size, minSize: size, maxSize: size + 2 },
        labels: { [`${LABEL_PREFIX}/pool`]: "system" },
        tags,
      },
      { parent: this, dependsOn: attachments },
    );
    // Data volumes (StatefulSet PVCs) need the EBS CSI driver; it uses the node role's policy.
    const ebs = new aws.eks.Addon(
      `${name}-ebs-csi`,
      { clusterName, addonName: "aws-ebs-csi-driver", resolveConflictsOnCreate: "OVERWRITE", tags },
      { parent: this, dependsOn: [this.cluster, systemNodes] },
    );

    this.kubeconfig = pulumi.secret(this.cluster.kubeconfigJson);
    this.kubernetes = new KubernetesEnvironment(
      `${name}-kubernetes`,
      { namespace: args.namespace, kubeconfig: this.kubeconfig, privileged: args.privileged ?? true, dependsOn: [systemNodes, ebs] },
      { parent: this },
    );

    this.repositories = {};
    for (const image of args.repositories ?? []) {
      const repo = new aws.ecr.Repository(
        `${name}-ecr-${image}`,
        { name: `${clusterName}/${image}`, forceDelete: true, imageScanningConfiguration: { scanOnPush: true }, tags },
        { parent: this },
      );
      this.repositories[image] = repo.repositoryUrl;
    }
    if (args.repositories?.length) {
      const token = aws.ecr.getAuthorizationTokenOutput({}, { parent: this });
      this.registryAuth = { address: token.proxyEndpoint, username: token.userName, password: pulumi.secret(token.password) };
    }

    this.registerOutputs({ clusterName, kubeconfig: this.kubeconfig, vpcId: this.network.vpcId });
  }

  /** Node group settings a RunnerPool needs for its nodes. */
  nodeGroupBase(): { cluster: eks.Cluster; nodeRoleArn: pulumi.Output<string>; subnetIds: pulumi.Output<string>[] } {
    return { cluster: this.cluster, nodeRoleArn: this.nodeRole.arn, subnetIds: this.network.privateSubnetIds };
  }
}
