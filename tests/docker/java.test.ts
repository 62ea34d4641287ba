/**
 * java17 end to end through the HTTP API with RUNNER_BACKEND=docker: a zip built with javac and jar
 * runs in hotswap/runtime-java17 (built offline by `npm run images -- --offline --only java17`):
 * a cold start on a prewarmed JVM stem container (x-hotswap-start: stem) then warm, a
 * RequestStreamHandler, a thrown exception, an init error and a timeout.
 */
import { after, before, describe } from "node:test";
import assert from "node:assert/strict";
import { it, startPlatform, type TestPlatform } from "../support/platform.ts";
import { deployFunction, invokeFunction, publishCode } from "../support/deploy.ts";
import { javaFunctionZip, javaMissing } from "../support/java-function.ts";
import { dockerSkipReason, testRunnerId } from "./support.ts";

const skip = (await dockerSkipReason()) ?? javaMissing();

describe("java17 through the HTTP API on the docker backend", { skip }, () => {
  let p: TestPlatform;
  let zip: Uint8Array;
  before(async () => {
    zip = new Uint8Array(await javaFunctionZip());
    p = await startPlatform("embedded", {
      RUNNER_BACKEND: "docker",
      RUNNER_DOCKER_NETWORK: "host",
      RUNNER_ID: testRunnerId("java"),
      RUNNER_STEMS: "1",
      RUNNER_STEM_RUNTIMES: "java17",
      RUNNER_STEM_MEMORY_MB: "256",
    });
  });
  after(async () => {
    await p?.close();
  });

  const deploy = (name: string, handler: string, extra: Record<string, unknown> = {}) =>
    deployFunction(p, { name, runtime: "java17", handler, memorySize: 256, environment: { FOO: "in-docker" }, code: zip, ...extra });

  it("a cold start specialises a prewarmed JVM stem container, then runs warm (POJO in and out)", async () => {
    await deploy("java-stemmed", "example.PojoHandler::handleRequest");
    const event = (n: number) => ({ id: `o-${n}`, quantity: 2, items: [{ sku: "s", price: 1.25 }] });
    // The stem pool fills in the background; publish new versions until a cold start lands on a stem.
    let cold;
    for (let version = 1, until = Date.now() + 60_000; ; version = await publishCode(p, "java-stemmed", zip)) {
      cold = await invokeFunction(p, "java-stemmed", event(version), { qualifier: String(version) });
      assert.equal(cold.status, 200, cold.text);
      assert.equal(cold.headers.get("x-hotswap-cold-start"), "true");
      if (cold.headers.get("x-hotswap-start") === "stem" || Date.now() > until) break;
    }
    assert.equal(cold.headers.get("x-hotswap-start"), "stem");
    assert.equal(cold.json.total, 2.5);
    assert.match(cold.json.orderId, /^o-\d+\/[^/]+\/in-docker$/, "the function's environment reached the stem at init");
    const version = cold.headers.get("x-hotswap-version")!;
    const warm = await invokeFunction(p, "java-stemmed", event(0), { qualifier: version });
    assert.equal(warm.status, 200, warm.text);
    assert.equal(warm.headers.get("x-hotswap-cold-start"), "false");
    assert.deepEqual(warm.json.skus, ["s"]);
  });

  it("a RequestStreamHandler and a thrown exception", async () => {
    await deploy("java-upper", "example.Upper");
    const u = await invokeFunction(p, "java-upper", { in: "docker" });
    assert.equal(u.status, 200, u.text);
    assert.deepEqual(u.json, { IN: "DOCKER" });
    await deploy("java-throws", "example.Thrower");
    const t = await invokeFunction(p, "java-throws", { a: 1 });
    assert.equal(t.status, 500, t.text);
    assert.equal(t.json.errorType, "java.lang.IllegalStateException");
    assert.equal(t.json.errorMessage, "bad input: 1");
  });

  it("an init error is InitError with Lambda's wording; a timeout is 504 and the next call is cold", async () => {
    await deploy("java-ctor", "example.InitThrows");
    const c = await invokeFunction(p, "java-ctor", {});
    assert.equal(c.status, 502, c.text);
    assert.equal(c.json.error.code, "InitError");
    assert.match(c.json.error.message, /Error loading class example\.InitThrows: missing configuration TABLE_NAME/);
    await deploy("java-slow", "example.Sleeper", { timeout: 1 });
    const slow = await invokeFunction(p, "java-slow", { ms: 5000 });
    assert.equal(slow.status, 504, slow.text);
    assert.equal(slow.json.errorType, "TimeoutError");
    const next = await invokeFunction(p, "java-slow", { ms: 1 });
    assert.equal(next.status, 200, next.text);
    assert.equal(next.headers.get("x-hotswap-cold-start"), "true");
  });
});
