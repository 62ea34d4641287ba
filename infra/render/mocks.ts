/**
 * Runs the Pulumi program without an engine, a cloud or a cluster: `pulumi.runtime.setMocks` with
 * mocks that record every resource's inputs and answer with plausible outputs (generated passwords,
 * image references, load balancer host names, EKS kubeconfig...). The manifest renderer and the
 * tests both use it.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash, randomInt } from "node:crypto";

export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs as the engine would receive them; secret values are wrapped (see `isSecret`). */
  inputs: Record<string, unknown>;
  custom: boolean;
  provider?: string;
}

const SECRET = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig };
const ACCOUNT = "123456789012";

/** True when a recorded input value is a Pulumi secret. */
export function isSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** A recorded value with every secret wrapper removed. */
export function unsecret<T = unknown>(value: unknown): T {
  if (isSecret(value)) return unsecret((value as { value: unknown }).value);
  if (Array.isArray(value)) return value.map((v) => unsecret(v)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unsecret(v)])) as T;
  }
  return value as T;
}

const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export class RecordingMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];

  /**
   * @param randomness "deterministic" derives generated values from resource names (tests);
   *   "random" draws them from the OS (rendered manifests carry fresh credentials).
   */
  constructor(private readonly randomness: "deterministic" | "random" = "deterministic") {}

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? true, provider: args.provider });
    return { id: `${args.name}-id`, state: { ...args.inputs, ...this.outputsFor(args.type, args.name, unsecret(args.inputs)) } };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    switch (args.token) {
      case "aws:index/getAvailabilityZones:getAvailabilityZones":
        return { names: ["us-east-1a", "us-east-1b", "us-east-1c"], zoneIds: ["use1-az1", "use1-az2", "use1-az4"], state: "available" };
      case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
        return { userName: "AWS", password: "ecr-token", proxyEndpoint: `https://${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`, authorizationToken: "QVdTOmVjci10b2tlbg==" };
      default:
        return {};
    }
  }

  /** Recorded resources of one type token, e.g. `kubernetes:apps/v1:Deployment`. */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one recorded resource with this logical name (throws if there is not exactly one). */
  named(name: string): RecordedResource {
    const found = this.resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one resource named "${name}", found ${found.length}: ${this.resources.map((r) => r.name).join(", ")}`);
    return found[0]!;
  }

  private text(seed: string, length: number, alphabet = ALNUM): string {
    if (this.randomness === "random") return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("");
    let out = "";
    for (let i = 0; out.length < length; i++) {
      for (const byte of createHash("sha256").update(`${seed}:${i}`).digest()) out += alphabet[byte % alphabet.length];
    }
    return out.slice(0, length);
  }

  private outputsFor(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
    const hash = createHash("sha256").update(`${type}:${name}`).digest("hex");
    switch (type) {
      case "random:index/randomPassword:RandomPassword": {
        const alphabet = (inputs.upper === false ? "" : ALNUM.slice(26, 52)) + (inputs.lower === false ? "" : ALNUM.slice(0, 26)) + (inputs.numeric === false ? "" : ALNUM.slice(52));
        return { result: { ...SECRET, value: this.text(name, inputs.length ?? 16, alphabet) } };
      }
      case "random:index/randomString:RandomString": {
        const alphabet = (inputs.upper === false ? "" : ALNUM.slice(26, 52)) + (inputs.lower === false ? "" : ALNUM.slice(0, 26)) + (inputs.numeric === false ? "" : ALNUM.slice(52));
        return { result: this.text(name, inputs.length ?? 16, alphabet) };
      }
      case "docker-build:index:Image": {
        const tag = inputs.tags?.[0] ?? "";
        const digest = `sha256:${hash}`;
        return { digest, ref: inputs.push ? `${tag}@${digest}` : tag, contextHash: hash };
      }
      case "docker:index/remoteImage:RemoteImage":
        return { imageId: `sha256:${hash}`, repoDigest: `${inputs.name}@sha256:${hash}` };
      case "docker:index/network:Network":
      case "docker:index/volume:Volume":
        return { name: inputs.name ?? name };
      case "kubernetes:core/v1:Service":
        return inputs.spec?.type === "LoadBalancer"
          ? { status: { loadBalancer: { ingress: [{ hostname: `${inputs.metadata?.name ?? name}-${hash.slice(0, 8)}.elb.us-east-1.amazonaws.com` }] } } }
          : {};
      case "eks:index:Cluster": {
        const clusterName = inputs.name ?? name;
        const kubeconfig = {
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: clusterName, cluster: { server: `https://${hash.slice(0, 32).toUpperCase()}.gr7.us-east-1.eks.amazonaws.com`, "certificate-authority-data": "LS0t" } }],
          contexts: [{ name: clusterName, context: { cluster: clusterName, user: "aws" } }],
          "current-context": clusterName,
          users: [{ name: "aws", user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token", "--cluster-name", clusterName] } } }],
        };
        const issuer = `oidc.eks.us-east-1.amazonaws.com/id/${hash.slice(0, 32).toUpperCase()}`;
        return {
          kubeconfigJson: JSON.stringify(kubeconfig),
          kubeconfig,
          oidcIssuer: issuer,
          oidcProviderUrl: `https://${issuer}`,
          oidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${issuer}`,
          eksCluster: { name: clusterName },
          clusterSecurityGroupId: `sg-${hash.slice(0, 17)}`,
        };
      }
      case "aws:rds/instance:Instance":
        return { address: `${name}.${hash.slice(0, 12)}.us-east-1.rds.amazonaws.com`, port: 5432, endpoint: `${name}.${hash.slice(0, 12)}.us-east-1.rds.amazonaws.com:5432` };
      case "aws:elasticache/replicationGroup:ReplicationGroup":
        return { primaryEndpointAddress: `master.${name}.${hash.slice(0, 6)}.use1.cache.amazonaws.com` };
      case "aws:s3/bucket:Bucket": {
        const bucket = inputs.bucket ?? `${inputs.bucketPrefix ?? ""}${hash.slice(0, 12)}`;
        return { bucket, arn: `arn:aws:s3:::${bucket}` };
      }
      case "aws:ecr/repository:Repository":
        return { repositoryUrl: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/${inputs.name ?? name}`, registryId: ACCOUNT };
      default:
        if (type.startsWith("aws:")) {
          const service = type.split(":")[1]!.split("/")[0];
          return { arn: `arn:aws:${service}:us-east-1:${ACCOUNT}:${name}`, name: inputs.name ?? name };
        }
        return {};
    }
  }
}

export interface MockRun<T> {
  mocks: RecordingMocks;
  result: T;
}

/**
 * Run `program` under fresh mocks with the given stack config (`{"hotswap:target": "docker", ...}`),
 * and resolve once every resource has been registered.
 */
export async function runUnderMocks<T>(
  program: () => T,
  options: { stack: string; config?: Record<string, string>; secretKeys?: string[]; randomness?: "deterministic" | "random" },
): Promise<MockRun<T>> {
  const mocks = new RecordingMocks(options.randomness);
  await pulumi.runtime.setMocks(mocks, "hotswap", options.stack, false);
  pulumi.runtime.setAllConfig(options.config ?? {}, options.secretKeys);
  let result: T;
  try {
    result = program();
  } finally {
    // Waits for every outstanding registration, including those made inside apply callbacks, and
    // for those of resources declared before the program threw, so none outlives this run.
    await pulumi.runtime.disconnect();
  }
  return { mocks, result };
}

/** The value of an Output, once resolved. */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}
