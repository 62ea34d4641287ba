/**
 * Stack configuration: the hotswap:* keys are validated before anything is declared, defaults depend
 * on the target, the repository's stack files are valid, and every bad value is refused with a
 * message naming the full key.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseStackConfig, StackConfigError } from "../../infra/config.ts";
import { stackConfig } from "./support/infra.ts";

const parse = (raw: Record<string, unknown>, stack = "test") =>
  parseStackConfig(
    Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    { stack, defaultVersion: "0.1.0" },
  );
const refuses = (raw: Record<string, unknown>, message: string) =>
  assert.throws(() => parse(raw), (e: unknown) => {
    assert.ok(e instanceof StackConfigError, `expected StackConfigError, got ${e}`);
    assert.equal((e as Error).message, message);
    return true;
  });

test("a docker stack needs only the target, and gets one control-plane replica and no autoscaler", () => {
  const c = parse({ "hotswap:target": "docker" });
  assert.equal(c.target, "docker");
  assert.equal(c.version, "0.1.0");
  assert.equal(c.controlPlane.replicas, 1);
  assert.equal(c.controlPlane.autoscaling, false);
  assert.deepEqual(c.runnerPools.map((p) => [p.name, p.size, p.memory, p.maxInstances, p.dockerSocket]), [["default", 1, "4096 MB", 16, "dind"]]);
  assert.equal(c.data.postgres.storage, "10 GB");
  assert.equal(c.docker.bindAddress, "127.0.0.1");
  assert.equal(c.kubernetes.namespace, "hotswap");
});

test("kubernetes defaults to two replicas behind a ClusterIP service; aws to a LoadBalancer", () => {
  const k = parse({ "hotswap:target": "kubernetes" });
  assert.equal(k.controlPlane.replicas, 2);
  assert.equal(k.controlPlane.serviceType, "ClusterIP");
  assert.deepEqual(k.controlPlane.autoscaling, { maxReplicas: 4, cpuUtilization: 70 });
  const a = parse({ "hotswap:target": "aws", "aws:region": "eu-west-1" });
  assert.equal(a.controlPlane.serviceType, "LoadBalancer");
  assert.equal(a.awsRegion, "eu-west-1");
});

test("the repository's stack files are valid and name their targets", () => {
  assert.equal(parse(stackConfig("dev"), "dev").target, "docker");
  const k8s = parse(stackConfig("k8s"), "k8s");
  assert.equal(k8s.target, "kubernetes");
  assert.deepEqual(k8s.runnerPools.map((p) => p.name), ["default", "large"]);
  assert.deepEqual(k8s.runnerPools[1]!.taints, [{ key: "hotswap.dev/pool", value: "large", effect: "NoSchedule" }]);
  const aws = parse(stackConfig("aws"), "aws");
  assert.equal(aws.target, "aws");
  assert.equal(aws.data.managed, true);
  assert.equal(aws.awsRegion, "us-east-1");
});

test("refuses a negative pool size, naming the key", () => {
  refuses({ "hotswap:target": "docker", "hotswap:runnerPools": [{ name: "default", size: -1 }] }, "hotswap:runnerPools[0].size must be an integer ≥ 0");
});

test("refuses a fractional or textual pool size with the same message", () => {
  refuses({ "hotswap:target": "docker", "hotswap:runnerPools": [{ name: "a", size: 1.5 }] }, "hotswap:runnerPools[0].size must be an integer ≥ 0");
  refuses({ "hotswap:target": "docker", "hotswap:runnerPools": [{ name: "a" }, { name: "b", size: "2" }] }, "hotswap:runnerPools[1].size must be an integer ≥ 0");
});

test("refuses a missing or unknown target", () => {
  refuses({}, 'hotswap:target is required: one of "docker", "kubernetes", "aws"');
  refuses({ "hotswap:target": "nomad" }, 'hotswap:target must be one of "docker", "kubernetes", "aws"');
});

test("refuses unknown keys, top-level and nested, so typos never pass silently", () => {
  refuses({ "hotswap:target": "docker", "hotswap:runnerpools": [] }, "hotswap:runnerpools is not a known key");
  refuses({ "hotswap:target": "docker", "hotswap:controlPlane": { replica: 2 } }, "hotswap:controlPlane.replica is not a known key");
});

test("refuses unreadable sizes, CPUs and durations with the expected form", () => {
  refuses({ "hotswap:target": "docker", "hotswap:data": { postgres: { storage: "10G" } } }, 'hotswap:data.postgres.storage must be a size like "512 MB" or "10 GB"');
  refuses({ "hotswap:target": "docker", "hotswap:controlPlane": { cpu: "500m" } }, 'hotswap:controlPlane.cpu must be a CPU amount like "0.5 vCPU" or "2 vCPU"');
  refuses({ "hotswap:target": "docker", "hotswap:observability": { retention: "2w" } }, 'hotswap:observability.retention must be a duration like "30 seconds", "10 minutes" or "15 days"');
});

test("refuses duplicate pool names and bad taints", () => {
  refuses({ "hotswap:target": "kubernetes", "hotswap:runnerPools": [{ name: "a" }, { name: "a" }] }, 'hotswap:runnerPools[1].name "a" is already used by runnerPools[0]');
  refuses({ "hotswap:target": "kubernetes", "hotswap:runnerPools": [{ name: "Big" }] }, 'hotswap:runnerPools[0].name must be 1-32 characters of a-z, 0-9 and "-", starting with a letter');
  refuses(
    { "hotswap:target": "kubernetes", "hotswap:runnerPools": [{ name: "a", taints: [{ key: "k", effect: "NoRun" }] }] },
    'hotswap:runnerPools[0].taints[0].effect must be one of "NoSchedule", "PreferNoSchedule", "NoExecute"',
  );
});

test("refuses settings the target cannot honour", () => {
  refuses({ "hotswap:target": "docker", "hotswap:controlPlane": { replicas: 2 } }, "hotswap:controlPlane.replicas must be 1 on the docker target (one host publishes one API port)");
  refuses({ "hotswap:target": "kubernetes", "hotswap:data": { managed: true } }, "hotswap:data.managed can only be true on the aws target (RDS, ElastiCache and S3)");
  refuses({ "hotswap:target": "aws" }, "aws:region must be set for the aws target (pulumi config set aws:region us-east-1)");
  refuses(
    { "hotswap:target": "kubernetes", "hotswap:controlPlane": { replicas: 3, autoscaling: { maxReplicas: 2 } } },
    "hotswap:controlPlane.autoscaling.maxReplicas must be ≥ controlPlane.replicas (3)",
  );
});

test("refuses a structured key given as plain text, and an admin key of the wrong shape", () => {
  refuses({ "hotswap:target": "docker", "hotswap:runnerPools": "default" }, 'hotswap:runnerPools must be a list (structured YAML in Pulumi.test.yaml), got "default"');
  refuses({ "hotswap:target": "docker", "hotswap:adminKey": "hs_x_short" }, "hotswap:adminKey must look like hs_<id>_<secret>: id is 4-32 of [a-z0-9], secret is 32+ of [A-Za-z0-9]");
});

test("reports every problem at once, one line per key", () => {
  assert.throws(
    () => parse({ "hotswap:target": "docker", "hotswap:runnerPools": [{ name: "a", size: -1, maxInstances: 0 }] }),
    { message: "hotswap:runnerPools[0].size must be an integer ≥ 0\nhotswap:runnerPools[0].maxInstances must be an integer ≥ 1" },
  );
});
