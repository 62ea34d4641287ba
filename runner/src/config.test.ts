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

const EMBEDDED = { hostname: "laptop", mode: "embedded" } as const;

test("embedded mode needs no Redis or cluster secret, and keeps the embedded runner's defaults", () => {
  const c = loadRunnerConfig({}, EMBEDDED);
  assert.equal(c.mode, "embedded");
  assert.equal(c.id, "embedded-laptop");
  assert.equal(c.backend, "process");
  assert.equal(c.docker.network, "bridge");
  // Stems are off on the process backend unless sized; one per runtime and size on docker.
  assert.equal(c.stems.perRuntime, 0);
  assert.equal(loadRunnerConfig({ RUNNER_BACKEND: "docker" }, EMBEDDED).stems.perRuntime, 1);
  assert.equal(loadRunnerConfig({ RUNNER_STEMS: "2" }, EMBEDDED).stems.perRuntime, 2);
  assert.equal(loadRunnerConfig({ RUNNER_BACKEND: "docker", RUNNER_STEMS: "0" }, EMBEDDED).stems.perRuntime, 0);
  // The same runner-wide budget as a fleet runner, and 16 instances per version as before.
  assert.deepEqual(c.capacity, { memoryMb: 4096, maxInstances: 16 });
  assert.equal(c.maxInstancesPerVersion, 16);
  assert.equal(c.idleTimeoutMs, 300_000);
  assert.equal(c.queueSize, 256);
  assert.equal(c.queueTimeoutMs, 10_000);
  assert.deepEqual(c.deprecations, []);
  // Agent-only settings are not part of an embedded node's config.
  assert.equal("listen" in c, false);
  assert.equal("heartbeatMs" in c, false);
});

test("embedded mode ignores the listen, advertise and heartbeat settings instead of failing on them", () => {
  const c = loadRunnerConfig({ RUNNER_LISTEN: "nowhere", RUNNER_ADVERTISE_URL: "not a url", RUNNER_HEARTBEAT_MS: "1" }, EMBEDDED);
  assert.equal(c.id, "embedded-laptop");
});

test("docker settings: DOCKER_HOST, network, the runtime API address, stems (both modes read the same names)", () => {
  const env = {
    RUNNER_BACKEND: "docker",
    DOCKER_HOST: "unix:///run/user/1000/docker.sock",
    RUNNER_DOCKER_NETWORK: "hotswap-functions",
    RUNNER_RUNTIME_API_HOST: "runner-1",
    RUNNER_RUNTIME_API_BIND: "0.0.0.0",
    RUNNER_STEM_MEMORY_MB: "128, 256,256",
    RUNNER_STEM_RUNTIMES: "nodejs20,python3.12",
    RUNNER_ID: "edge-7",
  };
  for (const c of [loadRunnerConfig(env, EMBEDDED), loadRunnerConfig({ ...BASE, ...env }, HOST)]) {
    assert.equal(c.backend, "docker");
    assert.deepEqual(c.docker, { host: "unix:///run/user/1000/docker.sock", network: "hotswap-functions", runtimeApiHost: "runner-1", runtimeApiBind: "0.0.0.0" });
    assert.deepEqual(c.stems, { perRuntime: 1, memorySizes: [128, 256], runtimes: ["nodejs20", "python3.12"] });
    assert.equal(c.id, "edge-7");
  }
});

test("the per-version cap defaults to the runner-wide budget and can be set apart from it", () => {
  assert.equal(loadRunnerConfig({ ...BASE, RUNNER_MAX_INSTANCES: "32" }, HOST).maxInstancesPerVersion, 32);
  const c = loadRunnerConfig({ RUNNER_MAX_INSTANCES: "64", RUNNER_MAX_INSTANCES_PER_VERSION: "8" }, EMBEDDED);
  assert.deepEqual({ budget: c.capacity.maxInstances, perVersion: c.maxInstancesPerVersion }, { budget: 64, perVersion: 8 });
});

test("embedded mode names malformed docker and stem settings", () => {
  assert.throws(
    () =>
      loadRunnerConfig(
        { DOCKER_HOST: "ssh://box", RUNNER_STEM_MEMORY_MB: "lots", RUNNER_STEM_RUNTIMES: "nodejs20,ruby3", RUNNER_STEMS: "-1", RUNNER_ID: "a b", RUNNER_DOCKER_NETWORK: "-x", RUNNER_MAX_INSTANCES_PER_VERSION: "0" },
        EMBEDDED,
      ),
    (e: unknown) => {
      assert.ok(e instanceof RunnerConfigError);
      for (const field of ["DOCKER_HOST", "RUNNER_STEM_MEMORY_MB", "RUNNER_STEM_RUNTIMES", "RUNNER_STEMS", "RUNNER_ID", "RUNNER_DOCKER_NETWORK", "RUNNER_MAX_INSTANCES_PER_VERSION"]) {
        assert.match(e.message, new RegExp(`${field}:`), `${field} not named in:\n${e.message}`);
      }
      assert.equal(e.issues.length, 7);
      return true;
    },
  );
});

test("sandbox settings: on by default with a uid range above system users, off only when asked", () => {
  const base = { HOTSWAP_CLUSTER_SECRET: "0123456789abcdef", REDIS_URL: "redis://127.0.0.1:6379" };
  const d = loadRunnerConfig(base, { hostname: "h" });
  assert.deepEqual(d.sandbox, { mode: "auto", uidRange: { first: 200000, last: 265535 }, pidsMax: 1024 });
  assert.equal(d.codeCacheDir, undefined);
  assert.equal(d.codeCacheMaxIdleMs, 86_400_000);
  const e = loadRunnerConfig(
    { RUNNER_SANDBOX: "off", RUNNER_SANDBOX_UID_RANGE: "300000-300099", RUNNER_SANDBOX_PIDS_MAX: "64", RUNNER_CODE_CACHE_DIR: "/var/cache/hs" },
    { hostname: "h", mode: "embedded" },
  );
  assert.deepEqual(e.sandbox, { mode: "off", uidRange: { first: 300000, last: 300099 }, pidsMax: 64 });
  assert.equal(e.codeCacheDir, "/var/cache/hs");
});

test("names a malformed sandbox uid range or mode", () => {
  assert.throws(
    () => loadRunnerConfig({ RUNNER_SANDBOX_UID_RANGE: "0-100", RUNNER_SANDBOX: "maybe" }, { hostname: "h", mode: "embedded" }),
    (e: Error) => /RUNNER_SANDBOX_UID_RANGE: the first sandbox uid 0 is below 1000/.test(e.message) && /RUNNER_SANDBOX:/.test(e.message),
  );
  assert.throws(() => loadRunnerConfig({ RUNNER_SANDBOX_UID_RANGE: "9000-8000" }, { hostname: "h", mode: "embedded" }), /RUNNER_SANDBOX_UID_RANGE: the range 9000-8000 is empty/);
});

test("function log flood limits: 1 MiB/s and 2 MiB bursts by default, settable, and a burst below 64 KiB is refused", () => {
  assert.deepEqual(loadRunnerConfig({}, { hostname: "h", mode: "embedded" }).logs, { rateBytes: 1024 * 1024, burstBytes: 2 * 1024 * 1024 });
  const set = loadRunnerConfig({ RUNNER_LOG_RATE_BYTES: "4096", RUNNER_LOG_BURST_BYTES: "131072" }, { hostname: "h", mode: "embedded" });
  assert.deepEqual(set.logs, { rateBytes: 4096, burstBytes: 131072 });
  assert.throws(
    () => loadRunnerConfig({ RUNNER_LOG_BURST_BYTES: "1000" }, { hostname: "h", mode: "embedded" }),
    (e: unknown) => e instanceof RunnerConfigError && e.issues.some((i) => i.startsWith("RUNNER_LOG_BURST_BYTES:")),
  );
});
