/**
 * Managed data services for the aws target: RDS for PostgreSQL, ElastiCache for Redis (TLS and an
 * auth token) and an S3 bucket reached through IAM roles for service accounts (no static keys).
 * DataServices calls this with itself as parent, so every resource is its child.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import { toGigabytes, type Size } from "../units.ts";
import type { S3Connection } from "../components/data-services.ts";

export interface ManagedDataArgs {
  /**
   * VPC of the EKS cluster.
   * @default (required)
   * @example network.vpcId
   */
  vpcId: pulumi.Input<string>;
  /**
   * Private subnets for the RDS and ElastiCache subnet groups.
   * @default (required)
   * @example network.privateSubnetIds
   */
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Clients connect from this CIDR (the VPC's): pods on EKS use VPC addresses.
   * @default (required)
   * @example "10.0.0.0/16"
   */
  allowedCidr: pulumi.Input<string>;
  /**
   * AWS region of the bucket (the S3 endpoint is derived from it).
   * @default (required)
   * @example "us-east-1"
   */
  region: string;
  /**
   * The cluster's IAM OIDC provider, for IAM roles for service accounts.
   * @default (required)
   * @example cluster.oidcProviderArn
   */
  oidcProviderArn: pulumi.Input<string>;
  /**
   * Its issuer URL without `https://`.
   * @default (required)
   * @example cluster.oidcIssuer
   */
  oidcProviderUrl: pulumi.Input<string>;
  /**
   * Namespace of the ServiceAccounts that may use the S3 role.
   * @default (required)
   * @example "hotswap"
   */
  namespace: string;
  /**
   * ServiceAccount names (glob patterns allowed) that may use the S3 role.
   * @default (required)
   * @example ["control-plane", "runner-*"]
   */
  serviceAccounts: string[];
  /**
   * RDS instance class.
   * @default "db.t4g.small"
   * @example "db.r6g.large"
   */
  postgresInstanceClass?: string;
  /**
   * ElastiCache node type.
   * @default "cache.t4g.small"
   * @example "cache.r7g.large"
   */
  redisNodeType?: string;
  /**
   * RDS storage (at least 20 GB).
   * @default (required)
   * @example "50 GB"
   */
  postgresStorage: Size;
  /**
   * Bucket name prefix (S3 names are global; a suffix is added).
   * @default (required)
   * @example "hotswap-code"
   */
  bucket: string;
}

export interface ManagedData {
  databaseUrl: pulumi.Output<string>;
  redisUrl: pulumi.Output<string>;
  s3: S3Connection;
  s3RoleArn: pulumi.Output<string>;
}

export function createManagedData(parent: pulumi.Resource, prefix: string, args: ManagedDataArgs): ManagedData {
  const opts = { parent };
  const securityGroup = new aws.ec2.SecurityGroup(
    `${prefix}-security-group`,
    {
      vpcId: args.vpcId,
      description: "HotSwap data services: Postgres and Redis from inside the VPC only",
      ingress: [
        { protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: [args.allowedCidr], description: "Postgres" },
        { protocol: "tcp", fromPort: 6379, toPort: 6379, cidrBlocks: [args.allowedCidr], description: "Redis" },
      ],
    },
    opts,
  );

  const postgresPassword = new random.RandomPassword(`${prefix}-postgres-password`, { length: 32, special: false }, opts).result;
  const subnets = new aws.rds.SubnetGroup(`${prefix}-postgres-subnets`, { subnetIds: args.subnetIds }, opts);
  const db = new aws.rds.Instance(
    `${prefix}-postgres`,
    {
      engine: "postgres",
      engineVersion: "16",
      instanceClass: args.postgresInstanceClass ?? "db.t4g.small",
      allocatedStorage: Math.max(20, toGigabytes(args.postgresStorage)),
      storageType: "gp3",
      storageEncrypted: true,
      dbName: "hotswap",
      username: "hotswap",
      password: postgresPassword,
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [securityGroup.id],
      publiclyAccessible: false,
      backupRetentionPeriod: 7,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${prefix}-postgres-final`.replace(/[^a-zA-Z0-9-]/g, "-"),
    },
    opts,
  );

  const redisToken = new random.RandomPassword(`${prefix}-redis-token`, { length: 48, special: false }, opts).result;
  const cacheSubnets = new aws.elasticache.SubnetGroup(`${prefix}-redis-subnets`, { subnetIds: args.subnetIds }, opts);
  const cache = new aws.elasticache.ReplicationGroup(
    `${prefix}-redis`,
    {
      description: "HotSwap state store",
      engine: "redis",
      engineVersion: "7.1",
      nodeType: args.redisNodeType ?? "cache.t4g.small",
      numCacheClusters: 1,
      port: 6379,
      subnetGroupName: cacheSubnets.name,
      securityGroupIds: [securityGroup.id],
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      authToken: redisToken,
    },
    opts,
  );

  const bucket = new aws.s3.Bucket(`${prefix}-code`, { bucketPrefix: `${args.bucket}-`, forceDestroy: false }, opts);
  new aws.s3.BucketPublicAccessBlock(
    `${prefix}-code-public-access`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    opts,
  );

  const subjects = args.serviceAccounts.map((sa) => `system:serviceaccount:${args.namespace}:${sa}`);
  const role = new aws.iam.Role(
    `${prefix}-s3-role`,
    {
      description: "HotSwap control plane and runners: code packages in S3",
      assumeRolePolicy: pulumi.all([args.oidcProviderArn, args.oidcProviderUrl]).apply(([arn, url]) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: arn },
              Action: "sts:AssumeRoleWithWebIdentity",
              Condition: { StringEquals: { [`${url}:aud`]: "sts.amazonaws.com" }, StringLike: { [`${url}:sub`]: subjects } },
            },
          ],
        }),
      ),
    },
    opts,
  );
  new aws.iam.RolePolicy(
    `${prefix}-s3-policy`,
    {
      role: role.id,
      policy: bucket.arn.apply((arn) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [arn] },
            { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: [`${arn}/*`] },
          ],
        }),
      ),
    },
    opts,
  );

  return {
    databaseUrl: pulumi.secret(pulumi.interpolate`postgres://hotswap:${postgresPassword}@${db.address}:${db.port}/hotswap?sslmode=require`),
    redisUrl: pulumi.secret(pulumi.interpolate`rediss://:${redisToken}@${cache.primaryEndpointAddress}:6379`),
    s3: {
      endpoint: pulumi.output(`https://s3.${args.region}.amazonaws.com`),
      bucket: bucket.bucket,
      region: pulumi.output(args.region),
    },
    s3RoleArn: role.arn,
  };
}
