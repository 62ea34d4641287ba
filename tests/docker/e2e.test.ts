/**
 * End to end through the HTTP API with RUNNER_BACKEND=docker: Node 20/22, Python 3.11/3.12 and
 * provided functions run in containers built offline, a cold start on a prewarmed stem reports
 * x-hotswap-start: stem, shutdown leaves no container behind; and with Docker unreachable the
 * control plane starts anyway and answers 503 naming Docker.
 *
 * The suite runs twice: on host networking, and on Docker's default `bridge` network with no
 * network configured at all (the engine's defaults; Debian's docker.io 20.10 lists no gateway
 * for that network, so the runner must find the bridge's address itself).
 */
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { it, startPlatform, type TestPlatform } from "../support/platform.ts";
import { apiOf, deployFunction, expectOk, invokeFunction, publishCode } from "../support/deploy.ts";
import { containersOf, dockerSkipReason, testRunnerId, volumesOf } from "./support.ts";

const skip = await dockerSkipReason();

/** Create the function with `settings` and publish the fixture as version 1. */
const deploy = async (p: TestPlatform, name: string, fixture: string, settings: Record<string, unknown>) => (await deployFunction(p, { name, ...settings, code: { fixture } })).version;
const publish = (p: TestPlatform, name: string, fixture: string) => publishCode(p, name, { fixture });
const invoke = (p: TestPlatform, name: string, event: unknown, qualifier?: string) => invokeFunction(p, name, event, { qualifier });

for (const network of ["host", "bridge"] as const) describe(`HTTP API on the docker backend (${network} network)`, { skip }, () => {
  const runnerId = testRunnerId(`e2e-${network}`);
  let p: TestPlatform;

  before(async () => {
    p = await startPlatform("embedded", {
      RUNNER_BACKEND: "docker",
      // bridge: leave RUNNER_DOCKER_NETWORK unset, which is Docker's default `bridge` network.
      ...(network === "host" ? { RUNNER_DOCKER_NETWORK: "host" } : {}),
      RUNNER_ID: runnerId,
      RUNNER_STEMS: "1",
      RUNNER_STEM_RUNTIMES: "nodejs20",
      RUNNER_STEM_MEMORY_MB: "256",
    });
  });
  after(async () => {
    await p?.close();
  });

  it("lists every runtime as available from its image", async () => {
    const r = expectOk(await apiOf(p).system.runtimes(), "listing runtimes", 200);
    assert.equal(r.backend, "docker");
    for (const rt of r.runtimes) {
      assert.equal(rt.available, true, JSON.stringify(rt));
      assert.match(rt.using!, new RegExp(`^hotswap/runtime-${rt.id.replace(".", "\\.")}:`));
    }
  });

  it("a nodejs20 cold start specialises a prewarmed stem container (x-hotswap-start: stem), then runs warm", async () => {
    await deploy(p, "stemmed", "node-cjs", { runtime: "nodejs20", handler: "index.handler", environment: { FOO: "from-stem" } });
    // The stem pool fills in the background after start-up; a cold start before it is ready starts
    // fresh, so publish a new version (a new cold start) until one lands on a stem.
    let cold;
    for (let version = 1, until = Date.now() + 30_000; ; version = await publish(p, "stemmed", "node-cjs")) {
      cold = await invoke(p, "stemmed", { n: version }, String(version));
      assert.equal(cold.status, 200, cold.text);
      assert.equal(cold.headers.get("x-hotswap-cold-start"), "true");
      if (cold.headers.get("x-hotswap-start") === "stem" || Date.now() > until) break;
    }
    assert.equal(cold.headers.get("x-hotswap-start"), "stem");
    assert.equal(cold.json.foo, "from-stem");
    assert.equal(cold.json.cwd, "/var/task");
    const version = cold.headers.get("x-hotswap-version")!;
    const warm = await invoke(p, "stemmed", { n: "warm" }, version);
    assert.equal(warm.status, 200);
    assert.equal(warm.headers.get("x-hotswap-cold-start"), "false");
    assert.equal(warm.headers.get("x-hotswap-start"), null, "x-hotswap-start is sent on cold starts only");
    assert.deepEqual(warm.json.echo, { n: "warm" });
  });

  it("runs a nodejs22 function on Node 22", async () => {
    await deploy(p, "node22", "node-runtime-info", { runtime: "nodejs22", handler: "index.handler" });
    const r = await invoke(p, "node22", {});
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.version, /^v22\./);
    assert.equal(r.json.cwd, "/var/task");
    assert.equal(r.headers.get("x-hotswap-start"), "fresh");
  });

  for (const runtime of ["python3.11", "python3.12"]) {
    it(`runs a ${runtime} function`, async () => {
      const name = `py${runtime.replace(".", "")}`;
      await deploy(p, name, "python-echo", { runtime, handler: "handler.handler", environment: { FOO: runtime } });
      const r = await invoke(p, name, { hello: "python" });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.echo, { hello: "python" });
      assert.equal(r.json.foo, runtime);
      assert.equal(r.json.cwd, "/var/task");
      assert.equal(r.json.requestId, r.headers.get("x-request-id"));
    });
  }

  it("runs a provided bash custom runtime over the Runtime API", async () => {
    await deploy(p, "bash", "provided-bash", { runtime: "provided", handler: "function.handler" });
    const r = await invoke(p, "bash", { from: "bash" });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { echo: { from: "bash" }, runtime: "bash" });
  });

  it("answers 504 TimeoutError when a function runs past its timeout", async () => {
    await deploy(p, "slow", "node-sleep", { runtime: "nodejs20", handler: "index.handler", timeout: 1 });
    const r = await invoke(p, "slow", { ms: 10_000 });
    assert.equal(r.status, 504);
    assert.equal(r.json.errorType, "TimeoutError");
  });

  it("a shutdown removes every container and the code volume of the runner", async () => {
    assert.ok((await containersOf(runnerId)).length >= 5, "function containers, a stem and the loader are running");
    await p.close();
    assert.deepEqual(await containersOf(runnerId), []);
    assert.deepEqual(await volumesOf(runnerId), []);
  });
});

describe("HTTP API with Docker unreachable", () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded", {
      RUNNER_BACKEND: "docker",
      DOCKER_HOST: "unix:///nonexistent/hotswap-test/docker.sock",
      RUNNER_ID: testRunnerId("e2e-down"),
    });
  });
  after(async () => {
    await p?.close();
  });

  it("starts anyway, answers invocations with 503 naming Docker, and keeps serving", async () => {
    await deploy(p, "nodocker", "node-cjs", { runtime: "nodejs20", handler: "index.handler" });
    for (let i = 0; i < 2; i++) {
      const r = await invoke(p, "nodocker", {});
      assert.equal(r.status, 503, r.text);
      assert.equal(r.json.error.code, "ServiceUnavailable");
      assert.match(r.json.error.message, /Docker is unreachable at unix:\/\/\/nonexistent\/hotswap-test\/docker\.sock/);
    }
    const health = expectOk(await apiOf(p).system.health(), "reading /health", 503);
    assert.match(health.checks.runners!, /Docker is unreachable/);
    const runtimes = expectOk(await apiOf(p).system.runtimes(), "listing runtimes", 200);
    assert.ok(runtimes.runtimes.every((r) => !r.available && /Docker/.test(r.reason ?? "")));
    expectOk(await apiOf(p).functions.list(), "the rest of the API is unaffected", 200);
  });
});
