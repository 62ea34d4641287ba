/**
 * RunnerPool: size, capacity, backend, labels, node placement (nodeSelector + tolerations), the
 * Docker engine each runner drives, and on aws an EKS managed node group per pool.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { container, dockerContainers, dockerContainerRaw, dockerEnv, envOf, isSecret, k8sObject, k8sRaw, podSpec, run, unsecret } from "./support/infra.ts";

const { RunnerPool } = await import("../../infra/components/runner-pool.ts");
const { KubernetesEnvironment } = await import("../../infra/targets/kubernetes-environment.ts");
const { DockerEnvironment } = await import("../../infra/targets/docker.ts");

const wiring = {
  image: "hotswap/runner:1.0.0",
  controlPlaneUrl: "http://control-plane.hs.svc.cluster.local",
  clusterSecret: pulumi.secret("cluster-secret-value"),
  redisUrl: pulumi.secret("redis://:pw@redis:6379"),
  s3: { endpoint: "http://minio:9000", bucket: "code", region: "us-east-1", accessKeyId: "hotswap", secretAccessKey: pulumi.secret("minio-pw") },
  otlpEndpoint: "http://jaeger:4318",
};
const taint = { key: "hotswap.dev/pool", value: "big", effect: "NoSchedule" as const };
const onKubernetes = (args: Record<string, unknown> = {}) =>
  run(() => new RunnerPool("pool", { host: new KubernetesEnvironment("env", { namespace: "hs" }).host, ...wiring, ...args }));

test("runs `size` runners with the pool's capacity and labels in their environment", async () => {
  const { mocks } = await onKubernetes({ name: "big", size: 3, memory: "16 GB", maxInstances: 32, labels: { tier: "big", zone: "a" } });
  const deployment = k8sObject(mocks, "Deployment", "runner-big");
  assert.equal(deployment.spec.replicas, 3);
  const runner = container(deployment, "runner");
  assert.deepEqual(runner.args, ["runner"]);
  const env = envOf(runner);
  assert.equal(env.RUNNER_POOL, "big");
  assert.equal(env.RUNNER_LABELS, "tier=big,zone=a");
  assert.equal(env.RUNNER_MEMORY_MB, "16384");
  assert.equal(env.RUNNER_MAX_INSTANCES, "32");
  assert.equal(env.RUNNER_BACKEND, "docker");
  assert.equal(env.RUNNER_LISTEN, "0.0.0.0:8081");
  assert.equal(env.RUNNER_ADVERTISE_URL, "http://$(POD_IP):8081", "advertises the pod IP from the downward API");
  assert.deepEqual(runner.env[0], { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } });
  assert.equal(env.HOTSWAP_CONTROL_PLANE_URL, "http://control-plane.hs.svc.cluster.local");
  assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, "http://jaeger:4318");
  assert.equal(env.S3_ENDPOINT, "http://minio:9000");
  assert.equal(deployment.spec.template.metadata.labels["hotswap.dev/pool"], "big");
});

test("keeps the cluster secret, Redis URL and S3 key in a Secret the pod references", async () => {
  const { mocks } = await onKubernetes({ name: "big" });
  const secret = k8sRaw(mocks, "Secret", "runner-big-env");
  assert.ok(isSecret(secret.inputs.stringData));
  assert.deepEqual(unsecret(secret.inputs.stringData), {
    REDIS_URL: "redis://:pw@redis:6379",
    HOTSWAP_CLUSTER_SECRET: "cluster-secret-value",
    S3_ACCESS_KEY_ID: "hotswap",
    S3_SECRET_ACCESS_KEY: "minio-pw",
  });
  const env = envOf(container(k8sObject(mocks, "Deployment", "runner-big"), "runner"));
  assert.equal(env.HOTSWAP_CLUSTER_SECRET, "secret:runner-big-env/HOTSWAP_CLUSTER_SECRET");
  assert.equal(env.REDIS_URL, "secret:runner-big-env/REDIS_URL");
});

test("schedules runners onto the pool's nodes: node labels become the nodeSelector, taints become tolerations", async () => {
  const { mocks } = await onKubernetes({ name: "big", nodeLabels: { "hotswap.dev/pool": "big", disk: "ssd" }, taints: [taint, { key: "gpu", effect: "NoExecute" }] });
  const spec = podSpec(k8sObject(mocks, "Deployment", "runner-big"));
  assert.deepEqual(spec.nodeSelector, { "hotswap.dev/pool": "big", disk: "ssd" });
  assert.deepEqual(spec.tolerations, [
    { key: "hotswap.dev/pool", operator: "Equal", value: "big", effect: "NoSchedule" },
    { key: "gpu", operator: "Exists", effect: "NoExecute" },
  ]);
});

test("probes /health on the runner port and admits only the control plane and Prometheus", async () => {
  const { mocks } = await onKubernetes({ name: "big" });
  const runner = container(k8sObject(mocks, "Deployment", "runner-big"), "runner");
  assert.deepEqual(runner.readinessProbe.httpGet, { path: "/health", port: 8081 });
  assert.deepEqual(runner.livenessProbe.httpGet, { path: "/health", port: 8081 });
  const ingress = k8sObject(mocks, "NetworkPolicy", "runner-big").spec.ingress;
  assert.deepEqual(ingress.map((r: any) => [r.ports.map((p: any) => p.port), r.from.map((f: any) => f.podSelector.matchLabels["hotswap.dev/role"])]), [
    [[8081], ["control-plane", "observability"]],
  ]);
});

test("gives each runner a docker:dind sidecar holding the pool's capacity, sharing the work directory", async () => {
  const { mocks } = await onKubernetes({ name: "big", memory: "8 GB", cpu: "3 vCPU" });
  const deployment = k8sObject(mocks, "Deployment", "runner-big");
  const dind = container(deployment, "dind");
  assert.equal(dind.securityContext.privileged, true);
  assert.deepEqual(dind.resources.requests, { cpu: "3000m", memory: "8Gi" });
  const runner = container(deployment, "runner");
  assert.equal(envOf(runner).DOCKER_HOST, "unix:///run/dind/docker.sock");
  assert.equal(runner.securityContext.allowPrivilegeEscalation, false);
  const mount = (c: any) => c.volumeMounts.find((m: any) => m.name === "work").mountPath;
  assert.equal(mount(runner), "/var/lib/hotswap");
  assert.equal(mount(dind), "/var/lib/hotswap");
  assert.ok(dind.args.includes("--group=10001"));
});

test("with dockerSocket host, mounts the node's Docker socket instead of a sidecar", async () => {
  const { mocks } = await onKubernetes({ name: "big", dockerSocket: "host" });
  const spec = podSpec(k8sObject(mocks, "Deployment", "runner-big"));
  assert.deepEqual(spec.containers.map((c: any) => c.name), ["runner"]);
  assert.deepEqual(spec.volumes.find((v: any) => v.name === "docker-socket").hostPath, { path: "/var/run/docker.sock", type: "Socket" });
});

test("on Docker: one container per runner with the host's socket, its group, and a work volume", async () => {
  const { mocks, result } = await run(
    () => new RunnerPool("pool", { host: new DockerEnvironment("env", { namePrefix: "hs", socketGroup: "998" }).host, name: "default", size: 2, ...wiring }),
  );
  assert.deepEqual(result.hosts, ["runner-default-0", "runner-default-1"]);
  const containers = dockerContainers(mocks);
  assert.deepEqual([...containers.keys()], ["hs-runner-default-0", "hs-runner-default-1"]);
  for (const [name, c] of containers) {
    assert.deepEqual(c.groupAdds, ["998"]);
    assert.ok(c.volumes.some((v: any) => v.hostPath === "/var/run/docker.sock" && v.containerPath === "/var/run/docker.sock"));
    assert.ok(c.volumes.some((v: any) => v.volumeName === `${name}-work` && v.containerPath === "/var/lib/hotswap"));
    assert.equal(c.user, "10001:10001");
    assert.deepEqual(c.ports, []);
    assert.ok(isSecret(dockerContainerRaw(mocks, name).inputs.envs));
    assert.equal(dockerEnv(c).HOTSWAP_CLUSTER_SECRET, "cluster-secret-value");
  }
});

test("a pool of size 0 declares no runner containers", async () => {
  const { mocks } = await run(() => new RunnerPool("pool", { host: new DockerEnvironment("env", { namePrefix: "hs" }).host, size: 0, ...wiring }));
  assert.equal(dockerContainers(mocks).size, 0);
});

test("refuses a negative size, a bad name and an unknown taint effect with exact messages", async () => {
  await assert.rejects(onKubernetes({ size: -1 }), { message: 'RunnerPool "pool": size must be an integer ≥ 0' });
  await assert.rejects(onKubernetes({ name: "GPU" }), { message: 'RunnerPool "pool": name must be 1-32 characters of a-z, 0-9 and "-", starting with a letter' });
  await assert.rejects(onKubernetes({ taints: [{ key: "a", effect: "Never" }] }), {
    message: 'RunnerPool "pool": taints[0].effect must be one of "NoSchedule", "PreferNoSchedule", "NoExecute"',
  });
  await assert.rejects(onKubernetes({ labels: { "a,b": "c" } }), { message: 'RunnerPool "pool": labels.a,b must be a label name and value without "," or "=" (got "a,b=c")' });
});
