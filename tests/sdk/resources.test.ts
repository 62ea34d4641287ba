/**
 * The SDK's resource classes under `pulumi.runtime.setMocks`: the inputs they hand their providers
 * (connection from a hotswap.Provider or the stack config, the API key kept secret, the code's hash),
 * and the errors a program gets for a missing connection or unusable code.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { buildCodePackage } from "../../infra/sdk/code-package.ts";
import { isSecret, runProgram, valueOf } from "./support/mocks.ts";
import { FAKE_KEY, codeDir, nodeHandler, removeCodeDirs } from "./support/sdk.ts";

after(removeCodeDirs);

// Import the resource classes only after mocks can be set (the awsx convention).
await pulumi.runtime.setMocks(new (await import("./support/mocks.ts")).SdkMocks(), "sdk-test", "test", false);
const hotswap = await import("../../infra/sdk/index.ts");

const ENDPOINT = "https://hotswap.example.com";

test("a Function declared with a hotswap.Provider carries its connection, the API key as a secret, and the code's hash", async () => {
  const dir = await codeDir(nodeHandler("mocked"));
  const { mocks, result } = await runProgram(() => {
    const provider = new hotswap.Provider("platform", { endpoint: ENDPOINT, apiKey: pulumi.secret(FAKE_KEY) });
    const fn = new hotswap.Function(
      "hello",
      { runtime: "nodejs20", handler: "index.handler", code: dir, memory: "512 MB", timeout: "10 seconds", environment: { GREETING: "hi" }, reservedConcurrency: 4 },
      { provider },
    );
    return { fn, provider };
  });
  assert.equal(mocks.ofType("hotswap:index:Provider").length, 1);
  const [raw] = mocks.ofType("pulumi-nodejs:dynamic/hotswap:Function");
  assert.ok(raw, "one Function registered");
  assert.equal(raw.name, "hello");
  assert.ok(isSecret(raw.inputs.apiKey), "the API key is a secret input");
  const inputs = mocks.hotswap("Function").get("hello")!;
  const pkg = await buildCodePackage(dir);
  assert.equal(inputs.endpoint, ENDPOINT);
  assert.equal(inputs.apiKey, FAKE_KEY);
  assert.equal(inputs.name, "hello", "the name defaults to the resource name");
  assert.equal(inputs.runtime, "nodejs20");
  assert.equal(inputs.memory, "512 MB");
  assert.equal(inputs.timeout, "10 seconds");
  assert.deepEqual(inputs.environment, { GREETING: "hi" });
  assert.equal(inputs.reservedConcurrency, 4);
  assert.equal(inputs.codeSha256, pkg.sha256);
  assert.equal(inputs.codeSize, pkg.size);
  assert.equal(inputs.resourceUrn, "urn:pulumi:test::sdk-test::pulumi-nodejs:dynamic/hotswap:Function::hello");
  assert.match(inputs.__provider, /^exports\.handler = /, "the provider is serialized into the inputs");
  assert.equal(await valueOf(result.fn.latestVersion), 1);
  assert.equal(await valueOf(result.fn.name), "hello");
  assert.ok(await pulumi.isSecret(result.provider.apiKey));
});

test("without a provider, the connection comes from the stack config hotswap:endpoint and hotswap:apiKey", async () => {
  const dir = await codeDir(nodeHandler("config"));
  const { mocks } = await runProgram(
    () => {
      const fn = new hotswap.Function("configured", { name: "custom-name", runtime: "python3.12", handler: "handler.handler", code: new pulumi.asset.FileArchive(dir) });
      new hotswap.Alias("configured-live", { function: fn, name: "live", version: fn.latestVersion });
    },
    { config: { "hotswap:endpoint": ENDPOINT, "hotswap:apiKey": FAKE_KEY }, secretKeys: ["hotswap:apiKey"] },
  );
  const fn = mocks.hotswap("Function").get("configured")!;
  assert.equal(fn.endpoint, ENDPOINT);
  assert.equal(fn.apiKey, FAKE_KEY);
  assert.equal(fn.name, "custom-name");
  for (const raw of mocks.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/hotswap:"))) {
    assert.ok(isSecret(raw.inputs.apiKey), `${raw.name}: the API key from config stays secret`);
  }
  const alias = mocks.hotswap("Alias").get("configured-live")!;
  assert.equal(alias.functionName, "custom-name", "a Function resource gives its platform name");
  assert.equal(alias.name, "live");
  assert.equal(alias.version, 1, "version follows the function's latestVersion");
});

test("an Alias carries the version, weights and rollout as declared", async () => {
  const { mocks } = await runProgram(() => {
    const provider = new hotswap.Provider("platform", { endpoint: ENDPOINT, apiKey: FAKE_KEY });
    new hotswap.Alias(
      "canary",
      {
        function: "existing-fn",
        name: "live",
        version: 4,
        rollout: { strategy: "canary", percentage: 10, duration: "5 minutes", analysis: { maxErrorRate: 0.05, maxP99: "500 ms" } },
      },
      { provider },
    );
    new hotswap.Alias("weighted", { function: "existing-fn", version: 4, weights: { 3: 0.1 } }, { provider });
  });
  const canary = mocks.hotswap("Alias").get("canary")!;
  assert.equal(canary.functionName, "existing-fn");
  assert.equal(canary.version, 4);
  assert.deepEqual(canary.rollout, { strategy: "canary", percentage: 10, duration: "5 minutes", analysis: { maxErrorRate: 0.05, maxP99: "500 ms" } });
  const weighted = mocks.hotswap("Alias").get("weighted")!;
  assert.equal(weighted.name, "weighted", "the alias name defaults to the resource name");
  assert.deepEqual(weighted.weights, { "3": 0.1 });
  assert.equal(weighted.resourceUrn, "urn:pulumi:test::sdk-test::pulumi-nodejs:dynamic/hotswap:Alias::weighted");
});

test("a program with no provider and no stack config is told both ways to connect", async () => {
  await assert.rejects(
    runProgram(() => new hotswap.Function("orphan", { runtime: "nodejs20", handler: "index.handler", code: "." })),
    (e: Error) => {
      assert.match(e.message, /^hotswap\.Function "orphan": no HotSwap control plane to talk to \(hotswap:endpoint and hotswap:apiKey not set\)/);
      assert.match(e.message, /new hotswap\.Provider\("hotswap", \{ endpoint, apiKey \}\)/);
      assert.match(e.message, /pulumi config set --secret hotswap:apiKey <key>/);
      return true;
    },
  );
});

test("a hotswap.Provider with a JWT (token) hands it to its resources as their secret credential", async () => {
  const dir = await codeDir(nodeHandler("mocked"));
  const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl";
  const { mocks } = await runProgram(() => {
    const provider = new hotswap.Provider("platform", { endpoint: ENDPOINT, token: pulumi.secret(token) });
    return { fn: new hotswap.Function("with-token", { runtime: "nodejs20", handler: "index.handler", code: dir }, { provider }) };
  });
  const [raw] = mocks.ofType("pulumi-nodejs:dynamic/hotswap:Function");
  assert.ok(isSecret(raw!.inputs.apiKey), "the token is a secret input");
  assert.equal(mocks.hotswap("Function").get("with-token")!.apiKey, token);
});

test("wrong options and plain-string mistakes are refused when the program runs", async () => {
  const config = { config: { "hotswap:endpoint": ENDPOINT, "hotswap:apiKey": FAKE_KEY } };
  await assert.rejects(runProgram(() => new hotswap.Provider("bad", { endpoint: "hotswap.example.com", apiKey: FAKE_KEY })), /^Error: hotswap\.Provider "bad": endpoint must be the control plane's base URL/);
  await assert.rejects(runProgram(() => new hotswap.Provider("bad", { endpoint: ENDPOINT, apiKey: "oops" })), /hotswap\.Provider "bad": apiKey must be a HotSwap API key/);
  await assert.rejects(runProgram(() => new hotswap.Provider("bad", { endpoint: ENDPOINT })), /hotswap\.Provider "bad": apiKey or token is required/);
  await assert.rejects(runProgram(() => new hotswap.Provider("bad", { endpoint: ENDPOINT, apiKey: FAKE_KEY, token: "eyJhbGciOiJIUzI1NiJ9.e30.c2ln" })), /hotswap\.Provider "bad": give apiKey or token, not both/);
  await assert.rejects(
    runProgram(() => new hotswap.Function("no-code", { runtime: "nodejs20", handler: "index.handler" } as never), config),
    /hotswap\.Function "no-code": code is required: a directory path, a \.zip path, or a pulumi\.asset\.FileArchive/,
  );
  await assert.rejects(
    runProgram(() => new hotswap.Alias("no-version", { function: "f" } as never), config),
    /hotswap\.Alias "no-version": function and version are required/,
  );
  await assert.rejects(
    runProgram(() => new hotswap.Function("f", { runtime: "nodejs20", handler: "index.handler", code: "." }, { provider: {} as never }), config),
    /hotswap\.Function "f": options\.provider must be a hotswap\.Provider/,
  );
});

test("a code path that does not exist is refused when the program runs", async () => {
  await assert.rejects(
    runProgram(() => new hotswap.Function("broken", { runtime: "nodejs20", handler: "index.handler", code: "/nonexistent/hotswap-sdk-test" }), {
      config: { "hotswap:endpoint": ENDPOINT, "hotswap:apiKey": FAKE_KEY },
    }),
    /^Error: hotswap\.Function "broken": code path "\/nonexistent\/hotswap-sdk-test" does not exist \(resolved to \/nonexistent\/hotswap-sdk-test\); pass the function's directory or \.zip/,
  );
});

test("a Layer carries its name, runtimes and the code's hash; a Function carries its layers in order", async () => {
  const dir = await codeDir({ "nodejs/node_modules/greet/index.js": "module.exports = () => 'hi';\n" });
  const fnDir = await codeDir(nodeHandler("layered"));
  const { mocks } = await runProgram(() => {
    const provider = new hotswap.Provider("platform", { endpoint: ENDPOINT, apiKey: pulumi.secret(FAKE_KEY) });
    const layer = new hotswap.Layer("deps", { code: dir, compatibleRuntimes: ["nodejs20", "nodejs22"], description: "shared deps" }, { provider });
    const fn = new hotswap.Function("layered", { runtime: "nodejs20", handler: "index.handler", code: fnDir, layers: ["tools:2", "deps:3"] }, { provider });
    return { layer, fn };
  });
  const [raw] = mocks.ofType("pulumi-nodejs:dynamic/hotswap:Layer");
  assert.ok(raw, "one Layer registered");
  const inputs = mocks.hotswap("Layer").get("deps")!;
  const pkg = await buildCodePackage(dir);
  assert.equal(inputs.layerName, "deps", "the name defaults to the resource name");
  assert.deepEqual(inputs.compatibleRuntimes, ["nodejs20", "nodejs22"]);
  assert.equal(inputs.description, "shared deps");
  assert.equal(inputs.codeSha256, pkg.sha256);
  assert.equal(inputs.resourceUrn, "urn:pulumi:test::sdk-test::pulumi-nodejs:dynamic/hotswap:Layer::deps");
  assert.deepEqual(mocks.hotswap("Function").get("layered")!.layers, ["tools:2", "deps:3"]);
});
