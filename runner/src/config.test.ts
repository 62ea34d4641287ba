import assert from "node:assert/strict";
import { test } from "node:test";
import { loadRunnerConfig, parseLabels, parseListen, RunnerConfigError } from "./config.ts";

const HOST = { hostname: "node-7.example" };
const BASE = { REDIS_URL: "redis://127.0.0.1:6379", HOTSWAP_CLUSTER_SECRET: "s".repeat(24) };

test("defaults: id from the hostname, pool default, 127.0.0.1:8081, process backend, 16 instances, 4096 MB", () => {
  const c = loadRunnerConfig(BASE, HOST);
  assert.equal(c.id, "node-7.example");
  assert.equal(c.pool, "default");
  assert.deepEqual(c.labels, {});
  assert.deepEqual(c.listen, { host: "127.0.0.1", port: 8081 });
  assert.equal(c.backend, "process");
  assert.deepEqual(c.capacity, { memoryMb: 4096, maxInstances: 16 });
  assert.equal(c.heartbeatMs, 1000);
  assert.deepEqual(c.redis, { url: "redis://127.0.0.1:6379", keyPrefix: "" });
  assert.deepEqual(c.codeStore, { kind: "fs", dir: "./.hotswap/code" });
  assert.deepEqual(c.stems, { perRuntime: 1, memorySizes: [256] });
});

test("reads the settings the Pulumi programs pass", () => {
  const c = loadRunnerConfig(
    {
      ...BASE,
      HOTSWAP_CONTROL_PLANE_URL: "http://control-plane:8080",
      RUNNER_ID: "runner-a",
      RUNNER_POOL: "gpu",
      RUNNER_LABELS: "tier=fast, zone=eu-1a",
      RUNNER_MEMORY_MB: "8192",
      RUNNER_MAX_INSTANCES: "32",
      RUNNER_BACKEND: "docker",
      RUNNER_LISTEN: "0.0.0.0:8081",
      S3_ENDPOINT: "http://minio:9000",
      S3_BUCKET: "code",
      S3_REGION: "eu-west-1",
      HOTSWAP_DATA_DIR: "/var/lib/hotswap",
      HOTSWAP_REDIS_PREFIX: "prod:",
      RUNNER_STEM_RUNTIMES: "nodejs20,python3.12",
      RUNNER_STEM_MEMORY_MB: "256,512",
    },
    HOST,
  );
  assert.equal(c.id, "runner-a");
  assert.equal(c.pool, "gpu");
  assert.deepEqual(c.labels, { tier: "fast", zone: "eu-1a" });
  assert.deepEqual(c.capacity, { memoryMb: 8192, maxInstances: 32 });
  assert.equal(c.backend, "docker");
  assert.deepEqual(c.listen, { host: "0.0.0.0", port: 8081 });
  assert.equal(c.controlPlaneUrl, "http://control-plane:8080");
  assert.deepEqual(c.codeStore, { kind: "s3", endpoint: "http://minio:9000", bucket: "code", region: "eu-west-1", accessKeyId: undefined, secretAccessKey: undefined });
  assert.equal(c.redis.keyPrefix, "prod:");
  assert.deepEqual(c.stems, { perRuntime: 1, runtimes: ["nodejs20", "python3.12"], memorySizes: [256, 512] });
});

test("names every invalid or missing field at once", () => {
  assert.throws(
    () => loadRunnerConfig({ RUNNER_LISTEN: "nowhere", RUNNER_LABELS: "a=b,broken", RUNNER_MAX_INSTANCES: "0", RUNNER_BACKEND: "vm", S3_ENDPOINT: "http://x" }, HOST),
    (e: unknown) => {
      assert.ok(e instanceof RunnerConfigError);
      const text = e.message;
      for (const field of ["REDIS_URL", "HOTSWAP_CLUSTER_SECRET", "RUNNER_LISTEN", "RUNNER_LABELS", "RUNNER_MAX_INSTANCES", "RUNNER_BACKEND", "S3_BUCKET"]) {
        assert.match(text, new RegExp(`${field}:`), `${field} not named in:\n${text}`);
      }
      assert.match(text, /"broken" is not k=v/);
      return true;
    },
  );
});

test("parses listen addresses and labels", () => {
  assert.deepEqual(parseListen("[::]:9000"), { host: "::", port: 9000 });
  assert.deepEqual(parseListen(":0"), { host: "0.0.0.0", port: 0 });
  assert.throws(() => parseListen("127.0.0.1:70000"), /above 65535/);
  assert.deepEqual(parseLabels(""), {});
  assert.deepEqual(parseLabels("a=1,b=two"), { a: "1", b: "two" });
  assert.throws(() => parseLabels("a=1,=x"), /is not k=v/);
});
