/**
 * ControlPlane: every connection string and secret wired in and kept secret, /health probes, a
 * Service, and on Kubernetes a PodDisruptionBudget and a HorizontalPodAutoscaler.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { container, dockerContainers, dockerContainerRaw, dockerEnv, envOf, isSecret, k8sObject, k8sRaw, podSpec, run, unsecret, valueOf } from "./support/infra.ts";

const { ControlPlane } = await import("../../infra/components/control-plane.ts");
const { KubernetesEnvironment } = await import("../../infra/targets/kubernetes-environment.ts");
const { DockerEnvironment } = await import("../../infra/targets/docker.ts");

const wiring = {
  image: "hotswap/control-plane:1.0.0",
  databaseUrl: pulumi.secret("postgres://hotswap:pg@postgres:5432/hotswap"),
  redisUrl: pulumi.secret("redis://:rd@redis:6379"),
  s3: { endpoint: "http://minio:9000", bucket: "code", region: "us-east-1", accessKeyId: "hotswap", secretAccessKey: pulumi.secret("s3-secret") },
  otlpEndpoint: "http://jaeger:4318",
};
const onKubernetes = (args: Record<string, unknown> = {}) =>
  run(() => new ControlPlane("cp", { host: new KubernetesEnvironment("env", { namespace: "hs" }).host, ...wiring, ...args }));

test("wires the database, Redis, S3 and tracing, and generates the admin key, secret key and cluster secret", async () => {
  const { mocks, result } = await onKubernetes();
  const server = container(k8sObject(mocks, "Deployment", "control-plane"), "control-plane");
  assert.deepEqual(server.args, ["server"]);
  const env = envOf(server);
  assert.equal(env.PORT, "8080");
  assert.equal(env.HOST, "0.0.0.0");
  assert.equal(env.S3_ENDPOINT, "http://minio:9000");
  assert.equal(env.S3_BUCKET, "code");
  assert.equal(env.S3_REGION, "us-east-1");
  assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, "http://jaeger:4318");
  assert.equal(env.HOTSWAP_DATA_DIR, "/var/lib/hotswap");
  for (const key of ["DATABASE_URL", "REDIS_URL", "HOTSWAP_ADMIN_KEY", "HOTSWAP_SECRET_KEY", "HOTSWAP_CLUSTER_SECRET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"]) {
    assert.equal(env[key], `secret:control-plane-env/${key}`, `${key} comes from the Secret`);
  }
  const secret = k8sRaw(mocks, "Secret", "control-plane-env");
  assert.ok(isSecret(secret.inputs.stringData));
  const data = unsecret<Record<string, string>>(secret.inputs.stringData);
  assert.equal(data.DATABASE_URL, "postgres://hotswap:pg@postgres:5432/hotswap");
  assert.equal(data.REDIS_URL, "redis://:rd@redis:6379");
  assert.equal(data.S3_SECRET_ACCESS_KEY, "s3-secret");
  assert.match(data.HOTSWAP_ADMIN_KEY!, /^hs_[a-z0-9]{4,32}_[A-Za-z0-9]{32,}$/);
  assert.ok(data.HOTSWAP_SECRET_KEY!.length >= 32);
  assert.ok(data.HOTSWAP_CLUSTER_SECRET!.length >= 32);
  assert.equal(await valueOf(result.adminKey), data.HOTSWAP_ADMIN_KEY);
  assert.equal(await valueOf(result.clusterSecret), data.HOTSWAP_CLUSTER_SECRET);
  assert.ok(await pulumi.isSecret(result.adminKey), "the admin key output is secret");
  assert.ok(await pulumi.isSecret(result.clusterSecret), "the cluster secret output is secret");
});

test("probes /health for liveness and readiness and runs hardened as a non-root user", async () => {
  const { mocks } = await onKubernetes();
  const deployment = k8sObject(mocks, "Deployment", "control-plane");
  const server = container(deployment, "control-plane");
  assert.deepEqual(server.livenessProbe.httpGet, { path: "/health", port: 8080 });
  assert.deepEqual(server.readinessProbe.httpGet, { path: "/health", port: 8080 });
  assert.deepEqual(server.resources, { requests: { cpu: "500m", memory: "512Mi" }, limits: { memory: "512Mi" } });
  assert.equal(server.securityContext.runAsNonRoot, true);
  assert.deepEqual(server.securityContext.capabilities, { drop: ["ALL"] });
  assert.equal(podSpec(deployment).securityContext.runAsUser, 10001);
  assert.deepEqual(podSpec(deployment).volumes, [{ name: "scratch-0", emptyDir: {} }]);
});

test("on Kubernetes: a Service on port 80, a PodDisruptionBudget and an autoscaler from replicas to maxReplicas", async () => {
  const { mocks, result } = await onKubernetes({ replicas: 3, autoscaling: { maxReplicas: 9, cpuUtilization: 60 }, serviceType: "LoadBalancer" });
  assert.equal(k8sObject(mocks, "Deployment", "control-plane").spec.replicas, 3);
  const service = k8sObject(mocks, "Service", "control-plane");
  assert.equal(service.spec.type, "LoadBalancer");
  assert.deepEqual(service.spec.ports, [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }]);
  assert.deepEqual(service.spec.selector, { "app.kubernetes.io/part-of": "hotswap", "hotswap.dev/workload": "control-plane" });
  const pdb = k8sObject(mocks, "PodDisruptionBudget", "control-plane");
  assert.deepEqual(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: service.spec.selector } });
  const hpa = k8sObject(mocks, "HorizontalPodAutoscaler", "control-plane");
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "control-plane" });
  assert.equal(hpa.spec.minReplicas, 3);
  assert.equal(hpa.spec.maxReplicas, 9);
  assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 60);
  assert.match(await valueOf(result.endpoint), /^http:\/\/control-plane-[0-9a-f]{8}\.elb\.us-east-1\.amazonaws\.com$/);
  assert.equal(await valueOf(result.internalUrl), "http://control-plane.hs.svc.cluster.local");
});

test("autoscaling false leaves the replica count alone", async () => {
  const { mocks } = await onKubernetes({ autoscaling: false });
  assert.equal(mocks.ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").length, 0);
});

test("uses a given admin key instead of generating one, and keeps it secret", async () => {
  const key = `hs_ops1_${"A".repeat(40)}`;
  const { mocks, result } = await onKubernetes({ adminKey: key, deployerKey: `hs_dep1_${"D".repeat(40)}` });
  assert.equal(mocks.ofType("random:index/randomString:RandomString").length, 0);
  assert.equal(await valueOf(result.adminKey), key);
  assert.ok(await pulumi.isSecret(result.adminKey));
});

test("on Docker: one container published on 127.0.0.1, its env secret, replaced when the image digest changes", async () => {
  const { mocks, result } = await run(
    () => new ControlPlane("cp", { host: new DockerEnvironment("env", { namePrefix: "hs" }).host, ...wiring, imageDigest: "sha256:abc", hostPort: 18080 }),
  );
  const c = dockerContainers(mocks).get("hs-control-plane")!;
  assert.deepEqual(c.ports, [{ internal: 8080, external: 18080, ip: "127.0.0.1" }]);
  assert.equal(c.image, "hotswap/control-plane:1.0.0");
  assert.ok(c.labels.some((l: any) => l.label === "hotswap.dev/image-digest" && l.value === "sha256:abc"));
  assert.equal(c.wait, true, "waits for the image's HEALTHCHECK on /health");
  assert.ok(isSecret(dockerContainerRaw(mocks, "hs-control-plane").inputs.envs));
  assert.equal(dockerEnv(c).DATABASE_URL, "postgres://hotswap:pg@postgres:5432/hotswap");
  assert.equal(await valueOf(result.endpoint), "http://127.0.0.1:18080");
  assert.equal(await valueOf(result.internalUrl), "http://control-plane:8080");
  assert.equal(mocks.ofType("docker:index/remoteImage:RemoteImage").length, 0, "a built image is not pulled");
});

test("refuses two replicas on Docker and a malformed admin key, with exact messages", async () => {
  await assert.rejects(run(() => new ControlPlane("cp", { host: new DockerEnvironment("env").host, ...wiring, replicas: 2 })), {
    message: 'ControlPlane "cp": replicas must be 1 on the docker target',
  });
  await assert.rejects(onKubernetes({ adminKey: "admin" }), {
    message: 'ControlPlane "cp": adminKey must look like hs_<id>_<secret>: id is 4-32 of [a-z0-9], secret is 32+ of [A-Za-z0-9]',
  });
  await assert.rejects(onKubernetes({ replicas: 0 }), { message: 'ControlPlane "cp": replicas must be an integer ≥ 1' });
});

test("tls mounts an existing certificate Secret read-only, points HOTSWAP_TLS_CERT/KEY at it and probes over HTTPS", async () => {
  const { mocks, result } = await onKubernetes({ tls: { secretName: "hotswap-api-tls" } });
  const deployment = k8sObject(mocks, "Deployment", "control-plane");
  const server = container(deployment, "control-plane");
  const env = envOf(server);
  assert.equal(env.HOTSWAP_TLS_CERT, "/etc/hotswap/tls/tls.crt");
  assert.equal(env.HOTSWAP_TLS_KEY, "/etc/hotswap/tls/tls.key");
  const volume = podSpec(deployment).volumes.find((v: any) => v.name === "secret-tls");
  assert.deepEqual(volume, { name: "secret-tls", secret: { secretName: "hotswap-api-tls", defaultMode: 0o440 } });
  assert.deepEqual(server.volumeMounts.find((m: any) => m.name === "secret-tls"), { name: "secret-tls", mountPath: "/etc/hotswap/tls", readOnly: true });
  assert.deepEqual(server.readinessProbe.httpGet, { path: "/health", port: 8080, scheme: "HTTPS" });
  assert.deepEqual(server.livenessProbe.httpGet, { path: "/health", port: 8080, scheme: "HTTPS" });
  assert.match(await valueOf(result.internalUrl), /^https:\/\/control-plane\.hs\.svc\.cluster\.local$/);
});

test("tls is refused on the docker target, which has no certificate Secret to mount", async () => {
  await assert.rejects(
    run(() => new ControlPlane("cp", { host: new DockerEnvironment("env").host, ...wiring, tls: { secretName: "x" } })),
    /tls \(a certificate Secret\) is available on the kubernetes target only/,
  );
});

test("generates a deployer key of its own, ensured by the control plane (HOTSWAP_DEPLOYER_KEY) and output as a secret", async () => {
  const { mocks, result } = await onKubernetes();
  const env = envOf(container(k8sObject(mocks, "Deployment", "control-plane"), "control-plane"));
  assert.equal(env.HOTSWAP_DEPLOYER_KEY, "secret:control-plane-env/HOTSWAP_DEPLOYER_KEY", "the deployer key comes from the Secret");
  const data = unsecret<Record<string, string>>(k8sRaw(mocks, "Secret", "control-plane-env").inputs.stringData);
  assert.match(data.HOTSWAP_DEPLOYER_KEY!, /^hs_[a-z0-9]{12}_[A-Za-z0-9]{40}$/);
  assert.notEqual(data.HOTSWAP_DEPLOYER_KEY!.split("_")[1], data.HOTSWAP_ADMIN_KEY!.split("_")[1], "an id of its own");
  assert.equal(await valueOf(result.deployerKey), data.HOTSWAP_DEPLOYER_KEY);
  assert.ok(await pulumi.isSecret(result.deployerKey), "the deployer key output is secret");
  const given = `hs_deploy01_${"D".repeat(40)}`;
  assert.equal(await valueOf((await onKubernetes({ deployerKey: given })).result.deployerKey), given);
  await assert.rejects(onKubernetes({ deployerKey: "deployer" }), { message: /deployerKey must look like hs_<id>_<secret>/ });
});
