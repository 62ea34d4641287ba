/**
 * The Go path through `provided`, end to end: examples/go-provided is built with Debian's Go into
 * `bootstrap`, zipped, deployed with runtime "provided" through the HTTP API and invoked on the
 * process backend and on the docker backend (hotswap/runtime-provided). It answers, sees its
 * environment and deadline, returns an error document, fails its init when misconfigured, and is
 * stopped at its timeout.
 */
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { it, startPlatform, type TestPlatform } from "../support/platform.ts";
import { deployFunction, invokeFunction } from "../support/deploy.ts";
import { buildGoBootstrap, goSkipReason, type GoBuild } from "../support/go-build.ts";
import { dockerSkipReason, testRunnerId } from "../docker/support.ts";

const EXAMPLE = fileURLToPath(new URL("../../examples/go-provided/", import.meta.url));
const goSkip = goSkipReason();
const BACKENDS = {
  process: { skip: goSkip, env: {} },
  docker: { skip: goSkip ?? (await dockerSkipReason()), env: { RUNNER_BACKEND: "docker", RUNNER_DOCKER_NETWORK: "host", RUNNER_ID: testRunnerId("go-provided"), RUNNER_STEMS: "0" } },
};

let build: GoBuild | undefined;
async function built(): Promise<GoBuild> {
  build ??= await buildGoBootstrap(EXAMPLE);
  return build;
}
after(async () => build?.remove());

for (const [backend, { skip, env }] of Object.entries(BACKENDS)) {
  describe(`a Go function on provided (${backend} backend)`, { skip }, () => {
    let p: TestPlatform;
    before(async () => {
      await built();
      p = await startPlatform("embedded", env);
    });
    after(async () => p?.close());

    const deploy = async (name: string, settings: Record<string, unknown> = {}) =>
      deployFunction(p, { name, runtime: "provided", handler: "bootstrap", code: build!.zip, ...settings });

    it("answers with its result, its environment, its request id and its deadline", async () => {
      await deploy("go-hello", { environment: { GREETING: "Hi" }, timeout: 5 });
      const r = await invokeFunction(p, "go-hello", { name: "Ada" });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.greeting, "Hi, Ada!");
      assert.equal(r.json.function, "go-hello");
      assert.equal(r.json.requestId, r.headers.get("x-request-id"));
      assert.ok(r.json.remainingMs > 3000 && r.json.remainingMs <= 5000, `remainingMs ${r.json.remainingMs}`);
      const warm = await invokeFunction(p, "go-hello", {});
      assert.equal(warm.json.greeting, "Hi, world!");
      assert.equal(warm.headers.get("x-hotswap-cold-start"), "false");
    });

    it("a returned error is a function error with its Go type as errorType, and the instance serves on", async () => {
      await deploy("go-fails");
      const r = await invokeFunction(p, "go-fails", { fail: "name is required" });
      assert.equal(r.status, 500, r.text);
      assert.equal(r.headers.get("x-hotswap-function-error"), "Unhandled");
      assert.equal(r.json.errorType, "ValidationError");
      assert.equal(r.json.errorMessage, "name is required");
      const next = await invokeFunction(p, "go-fails", { name: "again" });
      assert.equal(next.status, 200, next.text);
      assert.equal(next.headers.get("x-hotswap-cold-start"), "false", "the same instance");
    });

    it("an error posted to /init/error fails the invocation with InitError and the function's message", async () => {
      await deploy("go-init", { environment: { REQUIRE_GREETING: "1" } });
      const r = await invokeFunction(p, "go-init", { name: "x" });
      assert.equal(r.status, 502, r.text);
      assert.equal(r.json.error.code, "InitError");
      assert.equal(r.json.errorType, "ConfigError");
      assert.equal(r.json.errorMessage, "GREETING is not set");
    });

    it("is stopped at its timeout with 504 TimeoutError; the next call starts a fresh instance", async () => {
      await deploy("go-slow", { timeout: 1 });
      const r = await invokeFunction(p, "go-slow", { sleepMs: 5000 });
      assert.equal(r.status, 504, r.text);
      assert.equal(r.json.error.code, "TimeoutError");
      assert.equal(r.json.error.message, "Task timed out after 1.00 seconds");
      const next = await invokeFunction(p, "go-slow", { name: "later" });
      assert.equal(next.status, 200, next.text);
      assert.equal(next.headers.get("x-hotswap-cold-start"), "true");
    });
  });
}
