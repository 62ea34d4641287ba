/**
 * DataServices: the control plane's stores. Postgres (database), Redis (state) and MinIO (code
 * packages over the S3 protocol), each with a persistent volume and generated credentials that
 * stay Pulumi secrets; only the control plane and runners may connect. On aws, `managed` swaps
 * them for RDS, ElastiCache and S3.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Size } from "../units.ts";
import type { WorkloadHost } from "../targets/workload.ts";
import { createManagedData, type ManagedDataArgs } from "../targets/aws-data.ts";
import { ArgsCheck } from "./validate.ts";

export const DATA_IMAGES = {
  postgres: "postgres:16-alpine",
  redis: "redis:7.4-alpine",
  minio: "minio/minio:RELEASE.2025-04-22T22-12-26Z",
};

/** An S3 code store as components take it in their args (outputs or plain values). */
export interface S3ConnectionInput {
  endpoint: pulumi.Input<string>;
  bucket: pulumi.Input<string>;
  region: pulumi.Input<string>;
  accessKeyId?: pulumi.Input<string>;
  secretAccessKey?: pulumi.Input<string>;
}

export interface S3Connection {
  endpoint: pulumi.Output<string>;
  bucket: pulumi.Output<string>;
  region: pulumi.Output<string>;
  /** Unset when credentials come from the environment (IAM roles for service accounts on EKS). */
  accessKeyId?: pulumi.Output<string>;
  secretAccessKey?: pulumi.Output<string>;
}

export interface DataServicesArgs {
  /**
   * Where Postgres, Redis and MinIO run (a Docker engine or a Kubernetes namespace).
   * @default (required)
   * @example new DockerEnvironment("env").host
   */
  host: WorkloadHost;
  /**
   * Postgres, the control plane's database.
   * @default { storage: "10 GB" }
   * @example { storage: "50 GB", image: "postgres:16.4-alpine" }
   */
  postgres?: {
    /**
     * Volume size.
     * @default "10 GB"
     */
    storage?: Size;
    /**
     * Image.
     * @default "postgres:16-alpine"
     */
    image?: string;
  };
  /**
   * Redis, the state store (routing table, heartbeats, metric windows, leases, queues).
   * @default { storage: "2 GB" }
   * @example { storage: "4 GB" }
   */
  redis?: {
    /**
     * Volume size (append-only file).
     * @default "2 GB"
     */
    storage?: Size;
    /**
     * Image.
     * @default "redis:7.4-alpine"
     */
    image?: string;
  };
  /**
   * MinIO, the code store (S3 protocol). The bucket is created when MinIO starts.
   * @default { storage: "20 GB", bucket: "hotswap-code" }
   * @example { storage: "100 GB", bucket: "functions" }
   */
  objectStore?: {
    /**
     * Volume size.
     * @default "20 GB"
     */
    storage?: Size;
    /**
     * Bucket for code packages.
     * @default "hotswap-code"
     */
    bucket?: string;
    /**
     * Image.
     * @default "minio/minio:RELEASE.2025-04-22T22-12-26Z"
     */
    image?: string;
  };
  /**
   * aws only: use RDS for PostgreSQL, ElastiCache for Redis and an S3 bucket instead of running them in the cluster.
   * @default undefined (in-cluster services)
   * @example { vpcId, subnetIds, allowedCidr: "10.0.0.0/16", region: "us-east-1", oidcProviderArn, oidcProviderUrl, namespace: "hotswap", serviceAccounts: ["control-plane", "runner-*"] }
   */
  managed?: Omit<ManagedDataArgs, "postgresStorage" | "bucket">;
}

export class DataServices extends pulumi.ComponentResource {
  /** `postgres://…` (secret). */
  readonly databaseUrl: pulumi.Output<string>;
  /** `redis://…` or `rediss://…` (secret). */
  readonly redisUrl: pulumi.Output<string>;
  readonly s3: S3Connection;
  /** IAM role the control plane and runners assume for S3 (managed only). */
  readonly s3RoleArn?: pulumi.Output<string>;

  constructor(name: string, args: DataServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    const check = new ArgsCheck("DataServices", name);
    if (!args.host) check.fail("host is required");
    if (args.postgres?.storage !== undefined) check.size("postgres.storage", args.postgres.storage);
    if (args.redis?.storage !== undefined) check.size("redis.storage", args.redis.storage);
    if (args.objectStore?.storage !== undefined) check.size("objectStore.storage", args.objectStore.storage);
    if (args.objectStore?.bucket !== undefined) {
      check.matches("objectStore.bucket", args.objectStore.bucket, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "a bucket name (3-63 of a-z, 0-9, '.', '-')");
    }
    for (const key of ["postgres", "redis", "objectStore"] as const) {
      if (args[key]?.image !== undefined) check.nonEmpty(`${key}.image`, args[key]!.image);
    }
    if (args.managed && args.host.kind !== "kubernetes") check.fail("managed data services need the aws target (a Kubernetes host on EKS)");
    super("hotswap:index:DataServices", name, {}, opts);

    const postgres = { storage: "10 GB" as Size, image: DATA_IMAGES.postgres, ...args.postgres };
    const redis = { storage: "2 GB" as Size, image: DATA_IMAGES.redis, ...args.redis };
    const objectStore = { storage: "20 GB" as Size, bucket: "hotswap-code", image: DATA_IMAGES.minio, ...args.objectStore };

    if (args.managed) {
      const managed = createManagedData(this, name, { ...args.managed, postgresStorage: postgres.storage, bucket: objectStore.bucket });
      this.databaseUrl = managed.databaseUrl;
      this.redisUrl = managed.redisUrl;
      this.s3 = managed.s3;
      this.s3RoleArn = managed.s3RoleArn;
      this.registerOutputs({ databaseUrl: this.databaseUrl, redisUrl: this.redisUrl, s3Bucket: this.s3.bucket });
      return;
    }

    // Alphanumeric only: the passwords go into URLs unescaped.
    const password = (service: string) =>
      new random.RandomPassword(`${name}-${service}-password`, { length: 32, special: false }, { parent: this }).result;
    const host = args.host;

    const postgresPassword = password("postgres");
    const db = host.deploy(this, `${name}-postgres`, {
      name: "postgres",
      component: "postgres",
      role: "data",
      image: postgres.image,
      env: { POSTGRES_USER: "hotswap", POSTGRES_DB: "hotswap", PGDATA: "/var/lib/postgresql/data/pgdata" },
      secretEnv: { POSTGRES_PASSWORD: postgresPassword },
      ports: [{ name: "postgres", port: 5432 }],
      volume: { mountPath: "/var/lib/postgresql/data", size: postgres.storage },
      readiness: { exec: ["pg_isready", "-U", "hotswap", "-d", "hotswap", "-h", "127.0.0.1"], periodSeconds: 5 },
      liveness: { exec: ["pg_isready", "-U", "hotswap", "-d", "hotswap", "-h", "127.0.0.1"], initialDelaySeconds: 30, failureThreshold: 6 },
      dockerHealthcheck: "pg_isready -U hotswap -d hotswap -h 127.0.0.1",
      replicas: 1,
      // Runners hold no database credentials: only the control plane may connect.
      admit: [{ ports: [5432], from: ["control-plane"] }],
      stopGracePeriodSeconds: 60,
    });

    const redisPassword = password("redis");
    const redisPing = 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG';
    const cache = host.deploy(this, `${name}-redis`, {
      name: "redis",
      component: "redis",
      role: "data",
      image: redis.image,
      command: ["sh", "-c", 'exec redis-server --appendonly yes --dir /data --requirepass "$REDIS_PASSWORD"'],
      secretEnv: { REDIS_PASSWORD: redisPassword },
      ports: [{ name: "redis", port: 6379 }],
      volume: { mountPath: "/data", size: redis.storage },
      readiness: { exec: ["sh", "-c", redisPing], periodSeconds: 5 },
      liveness: { exec: ["sh", "-c", redisPing], initialDelaySeconds: 15, failureThreshold: 6 },
      dockerHealthcheck: redisPing,
      replicas: 1,
      admit: [{ ports: [6379], from: ["control-plane", "runner"] }],
    });

    const minioPassword = password("minio");
    // MinIO has no "create this bucket" setting: start it, wait until it answers, create the bucket
    // (idempotent), then wait on the server and forward SIGTERM to it.
    const minioStart = [
      "minio server /data --address :9000 --console-address :9001 &",
      "pid=$!",
      "trap 'kill -TERM $pid' TERM INT",
      'until mc alias set local http://127.0.0.1:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do sleep 1; done',
      'mc mb --ignore-existing "local/$MINIO_BUCKET"',
      'wait "$pid"; wait "$pid"',
    ].join("\n");
    const store = host.deploy(this, `${name}-minio`, {
      name: "minio",
      component: "minio",
      role: "data",
      image: objectStore.image,
      command: ["sh", "-c", minioStart],
      env: { MINIO_ROOT_USER: "hotswap", MINIO_BUCKET: objectStore.bucket, MINIO_BROWSER_REDIRECT: "off" },
      secretEnv: { MINIO_ROOT_PASSWORD: minioPassword },
      ports: [
        { name: "s3", port: 9000 },
        { name: "console", port: 9001 },
      ],
      volume: { mountPath: "/data", size: objectStore.storage },
      readiness: { http: { path: "/minio/health/ready", port: 9000 }, periodSeconds: 5 },
      liveness: { http: { path: "/minio/health/live", port: 9000 }, initialDelaySeconds: 15, failureThreshold: 6 },
      dockerHealthcheck: "mc ready local",
      replicas: 1,
      // The MinIO console (9001) is reachable by port-forward only.
      admit: [{ ports: [9000], from: ["control-plane", "runner"] }],
    });

    this.databaseUrl = pulumi.secret(pulumi.interpolate`postgres://hotswap:${postgresPassword}@${db.host}:5432/hotswap`);
    this.redisUrl = pulumi.secret(pulumi.interpolate`redis://:${redisPassword}@${cache.host}:6379`);
    this.s3 = {
      endpoint: pulumi.output(`http://${store.host}:9000`),
      bucket: pulumi.output(objectStore.bucket),
      region: pulumi.output("us-east-1"),
      accessKeyId: pulumi.output("hotswap"),
      secretAccessKey: pulumi.secret(minioPassword),
    };
    this.registerOutputs({ databaseUrl: this.databaseUrl, redisUrl: this.redisUrl, s3Endpoint: this.s3.endpoint, s3Bucket: this.s3.bucket });
  }
}
