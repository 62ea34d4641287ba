import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "./config.ts";

test("defaults mean the embedded adapters under ./.hotswap on port 8080", () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.host, "127.0.0.1");
  assert.deepEqual(c.database, { kind: "pglite", dir: "./.hotswap/pglite" });
  assert.deepEqual(c.state, { kind: "memory" });
  assert.deepEqual(c.codeStore, { kind: "fs", dir: "./.hotswap/code" });
  assert.equal(c.runnerBackend, "process");
  assert.equal(c.adminKey, undefined);
});

test("server URLs select the server adapters", () => {
  const c = loadConfig({
    PORT: "9000",
    DATABASE_URL: "postgres://u:p@db:5432/hs",
    REDIS_URL: "redis://cache:6379",
    S3_ENDPOINT: "http://minio:9000",
    S3_BUCKET: "code",
    S3_ACCESS_KEY_ID: "a",
    S3_SECRET_ACCESS_KEY: "b",
    HOTSWAP_DATA_DIR: "/data",
  });
  assert.equal(c.port, 9000);
  assert.deepEqual(c.database, { kind: "postgres", url: "postgres://u:p@db:5432/hs" });
  assert.deepEqual(c.state, { kind: "redis", url: "redis://cache:6379" });
  assert.equal(c.codeStore.kind, "s3");
  assert.equal(c.dataDir, "/data");
});

test("empty strings count as unset", () => {
  const c = loadConfig({ DATABASE_URL: "", PORT: "" });
  assert.equal(c.database.kind, "pglite");
  assert.equal(c.port, 8080);
});

test("names every invalid field at once", () => {
  try {
    loadConfig({ PORT: "70000", REDIS_URL: "http://x", RUNNER_BACKEND: "vm", HOTSWAP_ADMIN_KEY: "hs_AB_short", S3_ENDPOINT: "http://s3" });
    assert.fail("expected ConfigError");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const text = e.message;
    for (const field of ["PORT", "REDIS_URL", "RUNNER_BACKEND", "HOTSWAP_ADMIN_KEY", "S3_BUCKET"]) assert.match(text, new RegExp(field));
    assert.equal(e.issues.length, 5);
  }
});

test("S3 credentials must come in pairs", () => {
  assert.throws(() => loadConfig({ S3_ENDPOINT: "http://s3", S3_BUCKET: "b", S3_ACCESS_KEY_ID: "a" }), /S3_SECRET_ACCESS_KEY/);
});

test("accepts a well-formed admin key", () => {
  const key = `hs_admin01_${"A1".repeat(20)}`;
  assert.equal(loadConfig({ HOTSWAP_ADMIN_KEY: key }).adminKey, key);
});

test("docker backend settings: DOCKER_HOST, network, runtime API address, stems default to one per runtime", () => {
  const c = loadConfig({
    RUNNER_BACKEND: "docker",
    DOCKER_HOST: "unix:///run/user/1000/docker.sock",
    HOTSWAP_DOCKER_NETWORK: "hotswap-functions",
    HOTSWAP_RUNTIME_API_HOST: "runner-1",
    HOTSWAP_RUNTIME_API_BIND: "0.0.0.0",
    HOTSWAP_STEM_MEMORY: "128, 256,256",
    HOTSWAP_STEM_RUNTIMES: "nodejs20,python3.12",
    HOTSWAP_RUNNER_ID: "edge-7",
  });
  assert.equal(c.runnerBackend, "docker");
  assert.deepEqual(c.docker, { host: "unix:///run/user/1000/docker.sock", network: "hotswap-functions", runtimeApiHost: "runner-1", runtimeApiBind: "0.0.0.0" });
  assert.deepEqual(c.stems, { size: 1, memorySizes: [128, 256], runtimes: ["nodejs20", "python3.12"] });
  assert.equal(c.runnerId, "edge-7");
});

test("the docker network defaults to bridge and stems are off on the process backend unless sized", () => {
  const c = loadConfig({});
  assert.equal(c.docker.network, "bridge");
  assert.equal(c.stems.size, 0);
  assert.equal(loadConfig({ HOTSWAP_STEM_POOL_SIZE: "2" }).stems.size, 2);
  assert.equal(loadConfig({ RUNNER_BACKEND: "docker", HOTSWAP_STEM_POOL_SIZE: "0" }).stems.size, 0);
});

test("names malformed docker and stem settings", () => {
  try {
    loadConfig({ DOCKER_HOST: "ssh://box", HOTSWAP_STEM_MEMORY: "lots", HOTSWAP_STEM_RUNTIMES: "nodejs20,ruby3", HOTSWAP_STEM_POOL_SIZE: "-1", HOTSWAP_RUNNER_ID: "a b" });
    assert.fail("expected ConfigError");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    for (const field of ["DOCKER_HOST", "HOTSWAP_STEM_MEMORY", "HOTSWAP_STEM_RUNTIMES", "HOTSWAP_STEM_POOL_SIZE", "HOTSWAP_RUNNER_ID"]) assert.match(e.message, new RegExp(field));
  }
});
