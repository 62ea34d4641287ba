/**
 * DataServices: Postgres, Redis and MinIO with persistent volumes and generated secrets, reachable
 * only by the control plane and runners; on aws, RDS, ElastiCache and S3 instead.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { container, dockerContainerRaw, dockerContainers, dockerEnv, envOf, isSecret, k8sObject, k8sObjects, k8sRaw, podSpec, run, unsecret, valueOf } from "./support/infra.ts";

const { DataServices } = await import("../../infra/components/data-services.ts");
const { KubernetesEnvironment } = await import("../../infra/targets/kubernetes-environment.ts");
const { DockerEnvironment } = await import("../../infra/targets/docker.ts");

const onKubernetes = (args: Record<string, unknown> = {}) =>
  run(() => new DataServices("data", { host: new KubernetesEnvironment("env", { namespace: "hs" }).host, ...args }));

test("runs Postgres, Redis and MinIO as StatefulSets with a PVC of the configured size", async () => {
  const { mocks } = await onKubernetes({ postgres: { storage: "50 GB" }, objectStore: { storage: "100 GB", bucket: "functions" } });
  const sets = k8sObjects(mocks, "StatefulSet");
  assert.deepEqual([...sets.keys()].sort(), ["minio", "postgres", "redis"]);
  const storage = (name: string) => sets.get(name)!.spec.volumeClaimTemplates[0].spec.resources.requests.storage;
  assert.equal(storage("postgres"), "50Gi");
  assert.equal(storage("redis"), "2Gi");
  assert.equal(storage("minio"), "100Gi");
  for (const set of sets.values()) {
    assert.equal(set.metadata.namespace, "hs");
    assert.equal(set.spec.serviceName, set.metadata.name, "each StatefulSet has its governing headless Service");
    assert.equal(k8sObject(mocks, "Service", set.metadata.name).spec.clusterIP, "None");
  }
  assert.equal(envOf(container(sets.get("minio")!, "minio")).MINIO_BUCKET, "functions");
});

test("generates the credentials, keeps them in Secrets, and references them from the pods", async () => {
  const { mocks, result } = await onKubernetes();
  for (const [name, key] of [["postgres", "POSTGRES_PASSWORD"], ["redis", "REDIS_PASSWORD"], ["minio", "MINIO_ROOT_PASSWORD"]] as const) {
    const secret = k8sRaw(mocks, "Secret", `${name}-env`);
    assert.ok(isSecret(secret.inputs.stringData), `${name}'s Secret data is a Pulumi secret`);
    const value = unsecret<Record<string, string>>(secret.inputs.stringData)[key]!;
    assert.match(value, /^[A-Za-z0-9]{32}$/);
    assert.equal(envOf(container(k8sObject(mocks, "StatefulSet", name), name))[key], `secret:${name}-env/${key}`);
  }
  assert.equal(mocks.ofType("random:index/randomPassword:RandomPassword").length, 3);
  const pg = unsecret<Record<string, string>>(k8sRaw(mocks, "Secret", "postgres-env").inputs.stringData).POSTGRES_PASSWORD;
  const redis = unsecret<Record<string, string>>(k8sRaw(mocks, "Secret", "redis-env").inputs.stringData).REDIS_PASSWORD;
  assert.equal(await valueOf(result.databaseUrl), `postgres://hotswap:${pg}@postgres:5432/hotswap`);
  assert.equal(await valueOf(result.redisUrl), `redis://:${redis}@redis:6379`);
  assert.equal(await valueOf(result.s3.endpoint), "http://minio:9000");
  assert.equal(await valueOf(result.s3.bucket), "hotswap-code");
  assert.equal(await valueOf(result.s3.secretAccessKey!), unsecret<Record<string, string>>(k8sRaw(mocks, "Secret", "minio-env").inputs.stringData).MINIO_ROOT_PASSWORD);
});

test("NetworkPolicies admit the control plane to Postgres, and the control plane and runners to Redis and MinIO", async () => {
  const { mocks } = await onKubernetes();
  const admitted = (name: string) => {
    const policy = k8sObject(mocks, "NetworkPolicy", name);
    assert.deepEqual(policy.spec.policyTypes, ["Ingress"]);
    assert.deepEqual(policy.spec.podSelector.matchLabels, { "app.kubernetes.io/part-of": "hotswap", "hotswap.dev/workload": name });
    return policy.spec.ingress.map((rule: any) => ({
      ports: rule.ports.map((p: any) => p.port),
      roles: rule.from.map((f: any) => f.podSelector.matchLabels["hotswap.dev/role"]),
    }));
  };
  assert.deepEqual(admitted("postgres"), [{ ports: [5432], roles: ["control-plane"] }]);
  assert.deepEqual(admitted("redis"), [{ ports: [6379], roles: ["control-plane", "runner"] }]);
  assert.deepEqual(admitted("minio"), [{ ports: [9000], roles: ["control-plane", "runner"] }]);
});

test("probes each service with its own health check, and gives no service account token", async () => {
  const { mocks } = await onKubernetes();
  const pg = container(k8sObject(mocks, "StatefulSet", "postgres"), "postgres");
  assert.deepEqual(pg.readinessProbe.exec.command, ["pg_isready", "-U", "hotswap", "-d", "hotswap", "-h", "127.0.0.1"]);
  const minio = container(k8sObject(mocks, "StatefulSet", "minio"), "minio");
  assert.deepEqual(minio.readinessProbe.httpGet, { path: "/minio/health/ready", port: 9000 });
  assert.match(minio.command[2], /mc mb --ignore-existing "local\/\$MINIO_BUCKET"/);
  for (const name of ["postgres", "redis", "minio"]) {
    assert.equal(podSpec(k8sObject(mocks, "StatefulSet", name)).automountServiceAccountToken, false);
    assert.equal(k8sObject(mocks, "ServiceAccount", name).automountServiceAccountToken, false);
  }
});

test("on Docker: containers on the stack network with named volumes, secret env and no published port", async () => {
  const { mocks } = await run(() => new DataServices("data", { host: new DockerEnvironment("env", { namePrefix: "hotswap-t" }).host }));
  const containers = dockerContainers(mocks);
  assert.deepEqual([...containers.keys()].sort(), ["hotswap-t-minio", "hotswap-t-postgres", "hotswap-t-redis"]);
  for (const [name, c] of containers) {
    assert.deepEqual(c.ports, [], `${name} is not published`);
    assert.equal(c.networksAdvanced[0].name, "hotswap-t");
    assert.equal(c.volumes[0].volumeName, `${name}-data`);
    assert.ok(isSecret(dockerContainerRaw(mocks, name).inputs.envs), `${name}'s env is a Pulumi secret`);
    assert.ok(c.healthcheck.tests[1].length > 0);
    assert.equal(c.wait, true);
  }
  assert.equal(dockerEnv(containers.get("hotswap-t-postgres")!).POSTGRES_DB, "hotswap");
  assert.deepEqual(containers.get("hotswap-t-postgres")!.networksAdvanced[0].aliases, ["postgres"]);
  const volumes = mocks.ofType("docker:index/volume:Volume");
  assert.equal(volumes.length, 3);
});

test("refuses a bad size or bucket with an exact message", async () => {
  await assert.rejects(onKubernetes({ redis: { storage: "2G" } }), { message: 'DataServices "data": redis.storage must be a size like "512 MB" or "10 GB"' });
  await assert.rejects(onKubernetes({ objectStore: { bucket: "My_Bucket" } }), {
    message: "DataServices \"data\": objectStore.bucket must be a bucket name (3-63 of a-z, 0-9, '.', '-')",
  });
});
