import assert from "node:assert/strict";
import { test } from "node:test";
import { DEPRECATED_RUNNER_NAMES, withCurrentNames } from "./deprecated-names.ts";
import { loadRunnerConfig, RunnerConfigError } from "./config.ts";

const EMBEDDED = { hostname: "laptop", mode: "embedded" } as const;

test("maps every old name of the embedded runner to its RUNNER_* replacement", () => {
  assert.deepEqual(DEPRECATED_RUNNER_NAMES, {
    HOTSWAP_RUNNER_ID: "RUNNER_ID",
    HOTSWAP_STEM_POOL_SIZE: "RUNNER_STEMS",
    HOTSWAP_STEM_MEMORY: "RUNNER_STEM_MEMORY_MB",
    HOTSWAP_STEM_RUNTIMES: "RUNNER_STEM_RUNTIMES",
    HOTSWAP_DOCKER_NETWORK: "RUNNER_DOCKER_NETWORK",
    HOTSWAP_RUNTIME_API_HOST: "RUNNER_RUNTIME_API_HOST",
    HOTSWAP_RUNTIME_API_BIND: "RUNNER_RUNTIME_API_BIND",
    HOTSWAP_MAX_INSTANCES: "RUNNER_MAX_INSTANCES_PER_VERSION",
  });
});

test("an old name's value moves to the new name, with one warning naming the new one", () => {
  const r = withCurrentNames({ HOTSWAP_STEM_POOL_SIZE: "2", LOG_LEVEL: "info" });
  assert.equal(r.env.RUNNER_STEMS, "2");
  assert.equal(r.env.LOG_LEVEL, "info");
  assert.deepEqual(r.deprecations, ["HOTSWAP_STEM_POOL_SIZE is deprecated; use RUNNER_STEMS"]);
  assert.equal(r.nameOf("RUNNER_STEMS"), "HOTSWAP_STEM_POOL_SIZE (deprecated name of RUNNER_STEMS)");
  assert.equal(r.nameOf("RUNNER_ID"), "RUNNER_ID");
});

test("when both names are set the new one wins, and the warning says so", () => {
  const r = withCurrentNames({ HOTSWAP_RUNNER_ID: "old-id", RUNNER_ID: "new-id" });
  assert.equal(r.env.RUNNER_ID, "new-id");
  assert.deepEqual(r.deprecations, ["HOTSWAP_RUNNER_ID is deprecated; use RUNNER_ID. Both are set: RUNNER_ID wins and HOTSWAP_RUNNER_ID is ignored"]);
  assert.equal(loadRunnerConfig({ HOTSWAP_RUNNER_ID: "old-id", RUNNER_ID: "new-id" }, EMBEDDED).id, "new-id");
});

test("empty old names count as unset and warn about nothing", () => {
  const r = withCurrentNames({ HOTSWAP_STEM_POOL_SIZE: " ", RUNNER_STEMS: "" });
  assert.deepEqual(r.deprecations, []);
  assert.equal(r.env.RUNNER_STEMS, "");
});

test("the embedded runner still reads every old name, one warning each", () => {
  const c = loadRunnerConfig(
    {
      RUNNER_BACKEND: "docker",
      DOCKER_HOST: "unix:///run/user/1000/docker.sock",
      HOTSWAP_DOCKER_NETWORK: "hotswap-functions",
      HOTSWAP_RUNTIME_API_HOST: "runner-1",
      HOTSWAP_RUNTIME_API_BIND: "0.0.0.0",
      HOTSWAP_STEM_MEMORY: "128, 256,256",
      HOTSWAP_STEM_RUNTIMES: "nodejs20,python3.12",
      HOTSWAP_RUNNER_ID: "edge-7",
      HOTSWAP_MAX_INSTANCES: "4",
    },
    EMBEDDED,
  );
  // Moved from the control plane's config test, where these names used to be read.
  assert.equal(c.backend, "docker");
  assert.deepEqual(c.docker, { host: "unix:///run/user/1000/docker.sock", network: "hotswap-functions", runtimeApiHost: "runner-1", runtimeApiBind: "0.0.0.0" });
  assert.deepEqual(c.stems, { perRuntime: 1, memorySizes: [128, 256], runtimes: ["nodejs20", "python3.12"] });
  assert.equal(c.id, "edge-7");
  assert.equal(c.maxInstancesPerVersion, 4);
  assert.deepEqual(c.capacity, { memoryMb: 4096, maxInstances: 16 }, "the old per-version cap is not the runner-wide budget");
  assert.deepEqual(c.deprecations, [
    "HOTSWAP_RUNNER_ID is deprecated; use RUNNER_ID",
    "HOTSWAP_STEM_MEMORY is deprecated; use RUNNER_STEM_MEMORY_MB",
    "HOTSWAP_STEM_RUNTIMES is deprecated; use RUNNER_STEM_RUNTIMES",
    "HOTSWAP_DOCKER_NETWORK is deprecated; use RUNNER_DOCKER_NETWORK",
    "HOTSWAP_RUNTIME_API_HOST is deprecated; use RUNNER_RUNTIME_API_HOST",
    "HOTSWAP_RUNTIME_API_BIND is deprecated; use RUNNER_RUNTIME_API_BIND",
    "HOTSWAP_MAX_INSTANCES is deprecated; use RUNNER_MAX_INSTANCES_PER_VERSION",
  ]);
});

test("stems: the old pool size keeps its per-backend default and its meaning", () => {
  assert.equal(loadRunnerConfig({}, EMBEDDED).stems.perRuntime, 0);
  assert.equal(loadRunnerConfig({ HOTSWAP_STEM_POOL_SIZE: "2" }, EMBEDDED).stems.perRuntime, 2);
  assert.equal(loadRunnerConfig({ RUNNER_BACKEND: "docker", HOTSWAP_STEM_POOL_SIZE: "0" }, EMBEDDED).stems.perRuntime, 0);
});

test("a malformed value under an old name is reported under that name", () => {
  assert.throws(
    () => loadRunnerConfig({ DOCKER_HOST: "ssh://box", HOTSWAP_STEM_MEMORY: "lots", HOTSWAP_STEM_RUNTIMES: "nodejs20,ruby3", HOTSWAP_STEM_POOL_SIZE: "-1", HOTSWAP_RUNNER_ID: "a b" }, EMBEDDED),
    (e: unknown) => {
      assert.ok(e instanceof RunnerConfigError);
      for (const field of ["DOCKER_HOST", "HOTSWAP_STEM_MEMORY", "HOTSWAP_STEM_RUNTIMES", "HOTSWAP_STEM_POOL_SIZE", "HOTSWAP_RUNNER_ID"]) assert.match(e.message, new RegExp(field));
      assert.match(e.message, /HOTSWAP_STEM_POOL_SIZE \(deprecated name of RUNNER_STEMS\): /);
      return true;
    },
  );
});

test("a fleet runner (agent mode) never read the old names and still does not", () => {
  const c = loadRunnerConfig({ REDIS_URL: "redis://127.0.0.1:6379", HOTSWAP_CLUSTER_SECRET: "s".repeat(24), HOTSWAP_RUNNER_ID: "x", HOTSWAP_STEM_POOL_SIZE: "5" }, { hostname: "node-1" });
  assert.equal(c.id, "node-1");
  assert.equal(c.stems.perRuntime, 1);
  assert.deepEqual(c.deprecations, []);
});
