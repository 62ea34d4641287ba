/**
 * The three targets, each run from the repository's own stack file under mocks: every service
 * exists and is wired to the others, secrets stay secret, placement follows the config, and the
 * outputs function stacks consume (apiEndpoint, adminKey) are there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { container, dockerContainers, dockerEnv, envOf, isSecret, k8sObject, k8sObjects, podSpec, run, stackConfig, unsecret, valueOf, type RecordingMocks } from "./support/infra.ts";

const { parseStackConfig } = await import("../../infra/config.ts");
const { createPlatform } = await import("../../infra/program.ts");

// Each stack is run once and the tests read its recorded resources; runs are what cost time.
const runs = new Map<string, ReturnType<typeof runStackOnce>>();
function runStack(stack: string, overrides: Record<string, unknown> = {}) {
  const key = `${stack}:${JSON.stringify(overrides)}`;
  if (!runs.has(key)) runs.set(key, runStackOnce(stack, overrides));
  return runs.get(key)!;
}
async function runStackOnce(stack: string, overrides: Record<string, unknown>) {
  const raw = { ...stackConfig(stack), ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])) };
  return run(() => createPlatform(parseStackConfig(raw, { stack, defaultVersion: "0.1.0" })), raw, stack);
}
const secretData = (mocks: RecordingMocks, name: string) => {
  const r = mocks.resources.find((x) => x.type === "kubernetes:core/v1:Secret" && unsecret<any>(x.inputs).metadata.name === name)!;
  assert.ok(isSecret(r.inputs.stringData), `Secret ${name} is a Pulumi secret`);
  return unsecret<Record<string, string>>(r.inputs.stringData);
};
const images = (mocks: RecordingMocks) => mocks.ofType("docker-build:index:Image").map((r) => unsecret<any>(r.inputs));

test("docker: every service runs on the stack's network, wired to the others", async () => {
  const { mocks, result } = await runStack("dev", { "hotswap:docker": { bindAddress: "127.0.0.1", apiPort: 8080, socketGroup: "998" } });
  const containers = dockerContainers(mocks);
  assert.deepEqual([...containers.keys()].sort(), [
    "hotswap-dev-control-plane",
    "hotswap-dev-grafana",
    "hotswap-dev-jaeger",
    "hotswap-dev-minio",
    "hotswap-dev-postgres",
    "hotswap-dev-prometheus",
    "hotswap-dev-redis",
    "hotswap-dev-runner-default-0",
    "hotswap-dev-runner-default-1",
  ]);
  assert.equal(unsecret<any>(mocks.ofType("docker:index/network:Network")[0]!.inputs).name, "hotswap-dev");
  for (const c of containers.values()) assert.equal(c.networksAdvanced[0].name, "hotswap-dev");

  const pg = dockerEnv(containers.get("hotswap-dev-postgres")!);
  const redis = dockerEnv(containers.get("hotswap-dev-redis")!);
  const minio = dockerEnv(containers.get("hotswap-dev-minio")!);
  const cp = dockerEnv(containers.get("hotswap-dev-control-plane")!);
  assert.equal(cp.DATABASE_URL, `postgres://hotswap:${pg.POSTGRES_PASSWORD}@postgres:5432/hotswap`);
  assert.equal(cp.REDIS_URL, `redis://:${redis.REDIS_PASSWORD}@redis:6379`);
  assert.equal(cp.S3_ENDPOINT, "http://minio:9000");
  assert.equal(cp.S3_BUCKET, minio.MINIO_BUCKET);
  assert.equal(cp.S3_ACCESS_KEY_ID, minio.MINIO_ROOT_USER);
  assert.equal(cp.S3_SECRET_ACCESS_KEY, minio.MINIO_ROOT_PASSWORD);
  assert.equal(cp.OTEL_EXPORTER_OTLP_ENDPOINT, "http://jaeger:4318");
  for (const i of [0, 1]) {
    const runner = containers.get(`hotswap-dev-runner-default-${i}`)!;
    const env = dockerEnv(runner);
    assert.equal(env.HOTSWAP_CONTROL_PLANE_URL, "http://control-plane:8080");
    assert.equal(env.HOTSWAP_CLUSTER_SECRET, cp.HOTSWAP_CLUSTER_SECRET);
    assert.equal(env.REDIS_URL, cp.REDIS_URL);
    assert.equal(env.S3_SECRET_ACCESS_KEY, cp.S3_SECRET_ACCESS_KEY);
    assert.equal(env.RUNNER_BACKEND, "docker");
    // Runners export their spans to the same Jaeger as the control plane, under their own service name.
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, cp.OTEL_EXPORTER_OTLP_ENDPOINT);
    assert.equal(env.OTEL_SERVICE_NAME, "hotswap-runner");
    assert.deepEqual(runner.groupAdds, ["998"]);
  }
  assert.equal(await valueOf(result.apiEndpoint), "http://127.0.0.1:8080");
  assert.equal(await valueOf(result.adminKey), cp.HOTSWAP_ADMIN_KEY);
  assert.ok(await pulumi.isSecret(result.outputs().adminKey as pulumi.Output<string>), "the adminKey stack output is secret");
  assert.equal(await valueOf(result.deployerKey), cp.HOTSWAP_DEPLOYER_KEY, "the control plane ensures the deployer key the stack outputs");
  assert.ok(await pulumi.isSecret(result.outputs().deployerKey as pulumi.Output<string>), "the deployerKey stack output is secret");
});

test("docker: only the API and the UIs are published, and only on loopback", async () => {
  const { mocks } = await runStack("dev");
  const published = [...dockerContainers(mocks)].flatMap(([name, c]) => c.ports.map((p: any) => `${name} ${p.ip}:${p.external}`)).sort();
  assert.deepEqual(published, [
    "hotswap-dev-control-plane 127.0.0.1:8080",
    "hotswap-dev-grafana 127.0.0.1:3000",
    "hotswap-dev-jaeger 127.0.0.1:16686",
    "hotswap-dev-prometheus 127.0.0.1:9090",
  ]);
});

test("docker: builds the control-plane, runner and runtime images into the local engine", async () => {
  const { mocks } = await runStack("dev");
  const built = images(mocks);
  assert.deepEqual(built.map((i) => i.tags[0]).sort(), [
    "hotswap/control-plane:0.1.0",
    "hotswap/runner:0.1.0",
    "hotswap/runtime-java17:0.1.0",
    "hotswap/runtime-nodejs20:0.1.0",
    "hotswap/runtime-nodejs22:0.1.0",
    "hotswap/runtime-provided:0.1.0",
    "hotswap/runtime-python3.11:0.1.0",
    "hotswap/runtime-python3.12:0.1.0",
    "hotswap/runtime-ruby3.1:0.1.0",
  ]);
  for (const i of built) {
    assert.equal(i.load, true);
    assert.equal(i.push, false);
  }
  const byTag = new Map(built.map((i) => [i.tags[0], i]));
  const cp = byTag.get("hotswap/control-plane:0.1.0")!;
  assert.match(cp.dockerfile.location, /infra\/docker\/control-plane\.Dockerfile$/);
  assert.equal(cp.buildArgs.BASE_IMAGE, "node:20-bookworm-slim");
  assert.equal(cp.network, "none", "the platform images build without network");
  assert.equal(byTag.get("hotswap/runtime-nodejs22:0.1.0")!.buildArgs.BASE_IMAGE, "node:22-bookworm-slim");
  assert.match(byTag.get("hotswap/runtime-python3.12:0.1.0")!.context.location, /runtimes\/python$/);
  assert.match(byTag.get("hotswap/runtime-ruby3.1:0.1.0")!.context.location, /runtimes\/ruby$/);
  assert.match(byTag.get("hotswap/runtime-java17:0.1.0")!.context.location, /runtimes\/java$/);

  const offline = images((await runStack("dev", { "hotswap:images": { bases: "offline" } })).mocks);
  const bases = Object.fromEntries(offline.map((i) => [i.tags[0], i.buildArgs.BASE_IMAGE]));
  assert.equal(bases["hotswap/control-plane:0.1.0"], "hotswap/base-node:20");
  assert.equal(bases["hotswap/runtime-nodejs22:0.1.0"], "hotswap/base-node:22");
  assert.equal(bases["hotswap/runtime-python3.11:0.1.0"], "hotswap/base-python:3.11");
  assert.equal(bases["hotswap/runtime-provided:0.1.0"], "hotswap/base-debian:bookworm");
  assert.equal(bases["hotswap/runtime-ruby3.1:0.1.0"], "hotswap/base-ruby:3.1");
  assert.equal(bases["hotswap/runtime-java17:0.1.0"], "hotswap/base-java:17");
});

test("kubernetes: a namespace holding StatefulSets for state and Deployments for the rest", async () => {
  const { mocks, result } = await runStack("k8s");
  const ns = k8sObject(mocks, "Namespace", "hotswap");
  assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged", "runner dind sidecars are privileged");
  assert.deepEqual([...k8sObjects(mocks, "StatefulSet").keys()].sort(), ["minio", "postgres", "prometheus", "redis"]);
  assert.deepEqual([...k8sObjects(mocks, "Deployment").keys()].sort(), ["control-plane", "grafana", "jaeger", "runner-default", "runner-large"]);
  for (const r of mocks.resources.filter((x) => x.type.startsWith("kubernetes:") && !x.type.endsWith(":Namespace"))) {
    assert.equal(unsecret<any>(r.inputs).metadata.namespace, "hotswap", `${r.name} is in the namespace`);
  }
  assert.deepEqual([...k8sObjects(mocks, "NetworkPolicy").keys()].sort(), ["jaeger", "minio", "postgres", "redis", "runner-default", "runner-large"]);
  const tokens = [...k8sObjects(mocks, "ServiceAccount").values()].filter((sa) => sa.automountServiceAccountToken).map((sa) => sa.metadata.name);
  assert.deepEqual(tokens, ["prometheus"], "only Prometheus talks to the Kubernetes API");
  assert.equal(await valueOf(result.apiEndpoint), "http://control-plane.hotswap.svc.cluster.local");
});

test("kubernetes: the control plane and runners share the data services' generated credentials", async () => {
  const { mocks } = await runStack("k8s");
  const cp = secretData(mocks, "control-plane-env");
  const pg = secretData(mocks, "postgres-env");
  const redis = secretData(mocks, "redis-env");
  assert.equal(cp.DATABASE_URL, `postgres://hotswap:${pg.POSTGRES_PASSWORD}@postgres:5432/hotswap`);
  assert.equal(cp.REDIS_URL, `redis://:${redis.REDIS_PASSWORD}@redis:6379`);
  assert.equal(cp.S3_SECRET_ACCESS_KEY, secretData(mocks, "minio-env").MINIO_ROOT_PASSWORD);
  for (const pool of ["default", "large"]) {
    const runner = secretData(mocks, `runner-${pool}-env`);
    assert.equal(runner.HOTSWAP_CLUSTER_SECRET, cp.HOTSWAP_CLUSTER_SECRET);
    assert.equal(runner.REDIS_URL, cp.REDIS_URL);
    assert.equal(envOf(container(k8sObject(mocks, "Deployment", `runner-${pool}`), "runner")).HOTSWAP_CONTROL_PLANE_URL, "http://control-plane.hotswap.svc.cluster.local");
    assert.equal(envOf(container(k8sObject(mocks, "Deployment", `runner-${pool}`), "runner")).OTEL_EXPORTER_OTLP_ENDPOINT, "http://jaeger:4318");
  }
  assert.equal(envOf(container(k8sObject(mocks, "Deployment", "control-plane"), "control-plane")).OTEL_EXPORTER_OTLP_ENDPOINT, "http://jaeger:4318");
  assert.equal(envOf(container(k8sObject(mocks, "Deployment", "control-plane"), "control-plane")).OTEL_SERVICE_NAME, "hotswap-control-plane");
});

test("kubernetes: each pool's size, node selector and taints follow Pulumi.k8s.yaml", async () => {
  const { mocks } = await runStack("k8s");
  const large = k8sObject(mocks, "Deployment", "runner-large");
  assert.equal(large.spec.replicas, 1);
  assert.deepEqual(podSpec(large).nodeSelector, { "hotswap.dev/pool": "large" });
  assert.deepEqual(podSpec(large).tolerations, [{ key: "hotswap.dev/pool", operator: "Equal", value: "large", effect: "NoSchedule" }]);
  assert.equal(envOf(container(large, "runner")).RUNNER_MEMORY_MB, "16384");
  const def = k8sObject(mocks, "Deployment", "runner-default");
  assert.equal(def.spec.replicas, 2);
  assert.equal(podSpec(def).nodeSelector, undefined);
  assert.equal(podSpec(def).tolerations, undefined);
  const hpa = k8sObject(mocks, "HorizontalPodAutoscaler", "control-plane");
  assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [2, 6]);
});

test("aws: a VPC with private subnets, an EKS cluster, and a managed node group per pool with its labels and taints", async () => {
  const { mocks } = await runStack("aws");
  const subnets = mocks.ofType("aws:ec2/subnet:Subnet").map((r) => unsecret<any>(r.inputs));
  const privateSubnets = subnets.filter((s) => s.tags["kubernetes.io/role/internal-elb"] === "1");
  assert.equal(privateSubnets.length, 2);
  assert.ok(privateSubnets.every((s) => s.mapPublicIpOnLaunch === false));
  assert.equal(mocks.ofType("aws:ec2/natGateway:NatGateway").length, 1);

  const cluster = unsecret<any>(mocks.ofType("eks:index:Cluster")[0]!.inputs);
  assert.equal(cluster.name, "hotswap-aws");
  assert.equal(cluster.authenticationMode, "API");
  assert.equal(cluster.skipDefaultNodeGroup, true);
  assert.equal(cluster.createOidcProvider, true);
  assert.equal(cluster.privateSubnetIds.length, 2);
  assert.equal(cluster.version, "1.33");

  const groups = new Map(mocks.ofType("eks:index:ManagedNodeGroup").map((r) => [r.name, unsecret<any>(r.inputs)]));
  assert.deepEqual([...groups.keys()].sort(), ["hotswap-aws-system-nodes", "hotswap-pool-default-node-group", "hotswap-pool-large-node-group"]);
  const large = groups.get("hotswap-pool-large-node-group")!;
  assert.deepEqual(large.instanceTypes, ["m6i.2xlarge"]);
  assert.deepEqual(large.scalingConfig, { desiredSize: 1, minSize: 1, maxSize: 2 });
  assert.deepEqual(large.labels, { "hotswap.dev/pool": "large" });
  assert.deepEqual(large.taints, [{ key: "hotswap.dev/runner", value: "true", effect: "NO_SCHEDULE" }]);
  assert.equal(large.subnetIds.length, 2);
  assert.equal(groups.get("hotswap-aws-system-nodes")!.taints, undefined, "the system nodes are untainted");

  const runner = podSpec(k8sObject(mocks, "Deployment", "runner-large"));
  assert.deepEqual(runner.nodeSelector, { "hotswap.dev/pool": "large" });
  assert.deepEqual(runner.tolerations, [{ key: "hotswap.dev/runner", operator: "Equal", value: "true", effect: "NoSchedule" }]);
});

test("aws: the Kubernetes objects go through a provider built from the EKS cluster's kubeconfig", async () => {
  const { mocks } = await runStack("aws");
  const providers = mocks.ofType("pulumi:providers:kubernetes");
  assert.equal(providers.length, 1);
  assert.ok(isSecret(providers[0]!.inputs.kubeconfig), "the kubeconfig stays secret");
  const kubeconfig = JSON.parse(unsecret<string>(providers[0]!.inputs.kubeconfig));
  assert.equal(kubeconfig["current-context"], "hotswap-aws");
  const k8sResources = mocks.resources.filter((r) => r.type.startsWith("kubernetes:"));
  assert.ok(k8sResources.length > 10);
  for (const r of k8sResources) assert.match(r.provider ?? "", /pulumi:providers:kubernetes::hotswap-aws-kubernetes-provider::/, `${r.name} uses the EKS provider`);
});

test("aws: managed data replaces Postgres, Redis and MinIO with RDS, ElastiCache (TLS) and S3 through a service-account role", async () => {
  const { mocks, result } = await runStack("aws");
  assert.deepEqual([...k8sObjects(mocks, "StatefulSet").keys()], ["prometheus"]);
  const rds = unsecret<any>(mocks.ofType("aws:rds/instance:Instance")[0]!.inputs);
  assert.equal(rds.engine, "postgres");
  assert.equal(rds.publiclyAccessible, false);
  assert.equal(rds.storageEncrypted, true);
  assert.equal(rds.allocatedStorage, 20);
  const cache = unsecret<any>(mocks.ofType("aws:elasticache/replicationGroup:ReplicationGroup")[0]!.inputs);
  assert.equal(cache.transitEncryptionEnabled, true);
  const cp = secretData(mocks, "control-plane-env");
  assert.match(cp.DATABASE_URL!, new RegExp(`^postgres://hotswap:${rds.password}@hotswap-data-postgres\\..*\\.rds\\.amazonaws\\.com:5432/hotswap\\?sslmode=require$`));
  assert.match(cp.REDIS_URL!, new RegExp(`^rediss://:${cache.authToken}@master\\..*:6379$`));
  assert.equal(cp.S3_ACCESS_KEY_ID, undefined, "no static S3 keys on EKS");
  const env = envOf(container(k8sObject(mocks, "Deployment", "control-plane"), "control-plane"));
  assert.equal(env.S3_ENDPOINT, "https://s3.us-east-1.amazonaws.com");
  assert.match(env.S3_BUCKET!, /^hotswap-code-/);
  const roleArn = k8sObject(mocks, "ServiceAccount", "control-plane").metadata.annotations["eks.amazonaws.com/role-arn"];
  assert.match(roleArn, /^arn:aws:iam:/);
  assert.equal(k8sObject(mocks, "ServiceAccount", "runner-default").metadata.annotations["eks.amazonaws.com/role-arn"], roleArn);
  const trust = JSON.parse(unsecret<any>(mocks.ofType("aws:iam/role:Role").find((r) => r.name === "hotswap-data-s3-role")!.inputs).assumeRolePolicy);
  const sub = Object.values(trust.Statement[0].Condition.StringLike)[0];
  assert.deepEqual(sub, ["system:serviceaccount:hotswap:control-plane", "system:serviceaccount:hotswap:runner-*"]);
  assert.match(await valueOf(result.apiEndpoint), /^http:\/\/control-plane-.*\.elb\.us-east-1\.amazonaws\.com$/);
});

test("aws: images are pushed to ECR repositories made for the stack, and the cluster pulls them by digest", async () => {
  const { mocks } = await runStack("aws");
  const repos = mocks.ofType("aws:ecr/repository:Repository").map((r) => unsecret<any>(r.inputs).name).sort();
  assert.ok(repos.includes("hotswap-aws/control-plane") && repos.includes("hotswap-aws/runner") && repos.includes("hotswap-aws/runtime-nodejs20"));
  const cpImage = images(mocks).find((i) => i.tags[0].includes("/control-plane:"))!;
  assert.equal(cpImage.push, true);
  assert.equal(cpImage.tags[0], "123456789012.dkr.ecr.us-east-1.amazonaws.com/hotswap-aws/control-plane:0.1.0");
  assert.equal(cpImage.registries[0].address, "https://123456789012.dkr.ecr.us-east-1.amazonaws.com");
  const image = container(k8sObject(mocks, "Deployment", "control-plane"), "control-plane").image;
  assert.match(image, /^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/hotswap-aws\/control-plane:0\.1\.0@sha256:[0-9a-f]{64}$/);
});
