/** The providers' `check`: invalid args are refused with precise messages; defaults and unit conversions. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { functionProvider } from "../../infra/sdk/function-provider.ts";
import { aliasProvider } from "../../infra/sdk/alias-provider.ts";
import { deploymentRequest, type RolloutInputs } from "../../infra/sdk/alias-inputs.ts";
import { UNKNOWN } from "../../infra/sdk/provider-common.ts";
import { parseDuration, parseSize, toIsoDuration } from "../../infra/sdk/units.ts";
import { FAKE_KEY } from "./support/sdk.ts";

const SHA = "a".repeat(64);
const fn = (over: Record<string, unknown> = {}) => ({
  endpoint: "http://127.0.0.1:8080",
  apiKey: FAKE_KEY,
  name: "hello",
  runtime: "nodejs20",
  handler: "index.handler",
  codeSha256: SHA,
  codeSize: 100,
  ...over,
});
const alias = (over: Record<string, unknown> = {}) => ({ endpoint: "http://127.0.0.1:8080", apiKey: FAKE_KEY, functionName: "hello", name: "live", version: 2, ...over });

async function fnFailures(over: Record<string, unknown>) {
  return (await functionProvider.check!({}, fn(over))).failures ?? [];
}
async function aliasFailures(over: Record<string, unknown>) {
  return (await aliasProvider.check!({}, alias(over))).failures ?? [];
}

test("readable units convert to the API's numbers and ISO-8601 durations", () => {
  assert.equal(parseSize("256 MB"), 256);
  assert.equal(parseSize("1.5 GB"), 1536);
  assert.equal(parseSize("256MB "), 256);
  assert.equal(parseSize("256 mb"), undefined);
  assert.equal(parseDuration("500 ms"), 500);
  assert.equal(parseDuration("30 seconds"), 30_000);
  assert.equal(parseDuration("1 minute"), 60_000);
  assert.equal(parseDuration("0 seconds"), undefined);
  assert.equal(toIsoDuration(300_000), "PT5M");
  assert.equal(toIsoDuration(90_000), "PT1M30S");
  assert.equal(toIsoDuration(3_600_000 + 1500), "PT1H1.5S");
  assert.equal(toIsoDuration(30_000), "PT30S");
});

test("function check fills the defaults and converts memory and timeout", async () => {
  const { inputs, failures } = await functionProvider.check!({}, fn());
  assert.deepEqual(failures, []);
  assert.equal(inputs.memory, "256 MB");
  assert.equal(inputs.memorySize, 256);
  assert.equal(inputs.timeout, "30 seconds");
  assert.equal(inputs.timeoutSeconds, 30);
  assert.equal(inputs.protocol, "fast");
  assert.equal(inputs.instanceConcurrency, 1);
  assert.equal(inputs.maxInstances, null);
  assert.deepEqual(inputs.environment, {});
  const provided = await functionProvider.check!({}, fn({ runtime: "provided", handler: "function.handler", memory: "1 GB", timeout: "2 minutes" }));
  assert.deepEqual(provided.failures, []);
  assert.equal(provided.inputs.protocol, "runtime-api");
  assert.equal(provided.inputs.memorySize, 1024);
  assert.equal(provided.inputs.timeoutSeconds, 120);
});

test("function check refuses invalid args, naming the property and what is allowed", async () => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ name: "my.function" }, "name", /^name must be 1-64 letters, digits, '-' or '_' \(got "my\.function"\)\. It defaults to the resource name/],
    [{ runtime: "node18" }, "runtime", /^runtime must be one of "nodejs20", "nodejs22", "python3\.11", "python3\.12", "java17", "ruby3\.1", "provided" \(got "node18"\)$/],
    [{ handler: "index" }, "handler", /^handler must be "<file>\.<export>" for Node\.js, like "index\.handler"/],
    [{ runtime: "python3.12", handler: "handler" }, "handler", /^handler must be "<module>\.<function>" for Python/],
    [{ memory: "64 MB" }, "memory", /^memory must be a size like "256 MB" or "1 GB", from 128 MB to 10240 MB \(got "64 MB"\)$/],
    [{ memory: 512 }, "memory", /^memory must be a size like/],
    [{ timeout: "20 minutes" }, "timeout", /^timeout must be a duration like .* in whole seconds from 1 second to 15 minutes \(got "20 minutes"\)$/],
    [{ timeout: "1500 ms" }, "timeout", /in whole seconds/],
    [{ environment: { AWS_LAMBDA_FOO: "x" } }, "environment.AWS_LAMBDA_FOO", /^environment variable "AWS_LAMBDA_FOO" is reserved by the platform; choose another name$/],
    [{ environment: { "1BAD": "x" } }, "environment.1BAD", /is not a valid name/],
    [{ environment: { PORT: 8080 } }, "environment.PORT", /^environment variable "PORT" must be a string \(got number\)/],
    [{ environment: { BIG: "x".repeat(5000) } }, "environment", /^environment is \d+ bytes as JSON; the limit is 4096 bytes/],
    [{ protocol: "grpc" }, "protocol", /^protocol must be one of "fast", "runtime-api" \(got "grpc"\)$/],
    [{ runtime: "provided", handler: "x.y", protocol: "fast" }, "protocol", /^runtime "provided" only speaks the Lambda Runtime API/],
    [{ instanceConcurrency: 0 }, "instanceConcurrency", /^instanceConcurrency must be an integer from 1 to 1000 \(got 0\)$/],
    [{ maxInstances: 2.5 }, "maxInstances", /^maxInstances must be an integer from 1 to 1000/],
    [{ reservedConcurrency: -1 }, "reservedConcurrency", /^reservedConcurrency must be an integer from 0 to 100000/],
    [{ reservedConcurrency: 5, provisionedConcurrency: 10 }, "provisionedConcurrency", /^provisionedConcurrency \(10\) cannot exceed reservedConcurrency \(5\)$/],
    [{ endpoint: "hotswap.example.com" }, "endpoint", /^endpoint must be the control plane's base URL/],
    [{ apiKey: "secret-value" }, "apiKey", /^apiKey must be a HotSwap API key of the form hs_<id>_<secret>/],
    [{ codeSha256: "abc" }, "codeSha256", /hotswap\.Function sets it from the `code` arg/],
  ];
  for (const [over, property, reason] of cases) {
    const failures = await fnFailures(over);
    assert.equal(failures.length, 1, `${JSON.stringify(over)} → ${JSON.stringify(failures)}`);
    assert.equal(failures[0]!.property, property);
    assert.match(failures[0]!.reason, reason);
  }
  // A secret is never echoed back.
  const keyFailure = (await fnFailures({ apiKey: "hs_x_tooshort-secret" }))[0]!;
  assert.doesNotMatch(keyFailure.reason, /tooshort-secret/);
});

test("function check leaves unknown values (preview) alone", async () => {
  const { inputs, failures } = await functionProvider.check!({}, fn({ runtime: UNKNOWN, memory: UNKNOWN, environment: { A: UNKNOWN }, endpoint: UNKNOWN, codeSha256: UNKNOWN }));
  assert.deepEqual(failures, []);
  assert.equal(inputs.memorySize, UNKNOWN);
});

test("alias check refuses invalid args with precise messages", async () => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ name: "123" }, "name", /^name must be 1-128 letters, digits, '-' or '_', and not only digits \(got "123"\)/],
    [{ functionName: "a b" }, "functionName", /^function must be a hotswap\.Function or a function name/],
    [{ version: 0 }, "version", /^version must be a published version number \(an integer ≥ 1\)/],
    [{ weights: { abc: 0.1 } }, "weights.abc", /^weights keys must be version numbers/],
    [{ weights: { 2: 0.1 } }, "weights.2", /^weights names version 2, which is already the alias's version/],
    [{ weights: { 1: 1.5 } }, "weights.1", /^the weight of version 1 must be a share from 0 to 1/],
    [{ version: 3, weights: { 1: 0.6, 2: 0.6 } }, "weights", /^weights sum to 1\.2; they must sum to at most 1/],
    [{ weights: { 1: 0.1 }, rollout: { strategy: "canary" } }, "weights", /^Cannot set both "weights" and "rollout"/],
    [{ rollout: { strategy: "big-bang" } }, "rollout.strategy", /^rollout\.strategy must be one of "direct", "canary", "linear", "blue-green", "rolling" \(got "big-bang"\)$/],
    [{ rollout: { strategy: "ab-testing" } }, "rollout.strategy", /cannot be used in a stack: an A\/B test runs until someone concludes it/],
    [{ rollout: { strategy: "linear", duration: "5 minutes" } }, "rollout.duration", /^rollout\.duration applies to "canary" only; "linear" takes rollout\.percentage, rollout\.interval$/],
    [{ rollout: { strategy: "direct", percentage: 10 } }, "rollout.percentage", /applies to "canary" and "linear" only; "direct" takes no settings besides analysis and timeout$/],
    [{ rollout: { strategy: "canary", percentage: 100 } }, "rollout.percentage", /^rollout\.percentage must be a percentage more than 0 and less than 100 \(got 100\)$/],
    [{ rollout: { strategy: "linear", percentage: 0 } }, "rollout.percentage", /^rollout\.percentage must be a percentage more than 0 and at most 100 \(got 0\)$/],
    [{ rollout: { strategy: "canary", duration: "2 days" } }, "rollout.duration", /^rollout\.duration must be from 1 second to 1 day \(got "2 days"\)$/],
    [{ rollout: { strategy: "canary", analysis: { interval: "500 ms" } } }, "rollout.analysis.interval", /^rollout\.analysis\.interval must be from 1 second to 1 hour/],
    [{ rollout: { strategy: "rolling" } }, "rollout.batchSize", /^"rolling" needs rollout\.batchSize \(runners per batch\) or rollout\.batchPercentage/],
    [{ rollout: { strategy: "canary", analysis: { minRequests: 0 } } }, "rollout.analysis.minRequests", /^rollout\.analysis\.minRequests must be an integer ≥ 1 \(got 0\)$/],
    [{ rollout: { strategy: "canary", analysis: { maxErrorRateIncrease: 2 } } }, "rollout.analysis.maxErrorRateIncrease", /must be a fraction from 0 to 1, like 0\.02 for 2 percentage points more/],
    [{ rollout: { strategy: "canary", analysis: { maxP99Increase: 0 } } }, "rollout.analysis.maxP99Increase", /must be a fraction more than 0, like 0\.5 for 50% slower/],
    [{ rollout: { strategy: "canary", duration: "5 mins" } }, "rollout.duration", /^rollout\.duration must be a duration like/],
    [{ rollout: { strategy: "canary", speed: 2 } }, "rollout.speed", /^rollout\.speed is not a rollout setting/],
    [{ rollout: { strategy: "canary", analysis: { maxErrorRate: 5 } } }, "rollout.analysis.maxErrorRate", /must be a fraction from 0 to 1, like 0\.05 for 5% \(got 5\)$/],
    [{ rollout: { strategy: "canary", analysis: { maxP99: 500 } } }, "rollout.analysis.maxP99", /^rollout\.analysis\.maxP99 must be a duration like "500 ms"/],
    [{ rollout: { strategy: "canary", analysis: { p99: "1 second" } } }, "rollout.analysis.p99", /is not an analysis setting/],
    [{ rollout: { strategy: "direct", analysis: { maxErrorRate: 0.1 } } }, "rollout.analysis", /does not apply to "direct"/],
    [{ rollout: { strategy: "rolling", batchSize: 1, batchPercentage: 50 } }, "rollout.batchSize", /^Cannot set both "batchSize" and "batchPercentage"/],
    [{ rollout: { strategy: "canary", onConflict: "wait" } }, "rollout.onConflict", /^rollout\.onConflict must be "fail" .* or "cancel"/],
    [{ rollout: { strategy: "canary", duration: "2 hours" } }, "rollout.timeout", /^rollout\.timeout \(1 hour\) must be longer than the canary's duration \(2 hours\)/],
  ];
  for (const [over, property, reason] of cases) {
    const failures = await aliasFailures(over);
    assert.equal(failures.length, 1, `${JSON.stringify(over)} → ${JSON.stringify(failures)}`);
    assert.equal(failures[0]!.property, property);
    assert.match(failures[0]!.reason, reason);
  }
});

test("rollout args become the deployments API's request, with ISO-8601 durations and its strategy names", () => {
  const canary: RolloutInputs = { strategy: "canary", percentage: 20, duration: "5 minutes", analysis: { interval: "10 seconds", maxErrorRate: 0.05, maxP99: "500 ms", minRequests: 20 } };
  assert.deepEqual(deploymentRequest(canary), {
    strategy: "Canary",
    config: { canaryPercentage: 20, canaryDuration: "PT5M" },
    analysis: { interval: "PT10S", maxErrorRate: 0.05, maxP99LatencyMs: 500, minRequests: 20 },
  });
  assert.deepEqual(deploymentRequest({ strategy: "canary" }).config, { canaryPercentage: 10, canaryDuration: "PT5M" });
  assert.deepEqual(deploymentRequest({ strategy: "linear", percentage: 25, interval: "90 seconds" }).config, { stepPercentage: 25, stepInterval: "PT1M30S" });
  assert.deepEqual(deploymentRequest({ strategy: "blue-green", rollbackWindow: "10 minutes", smokeEvent: { ping: true } }), {
    strategy: "BlueGreen",
    config: { rollbackWindow: "PT10M", smokeEvent: { ping: true } },
    analysis: {},
  });
  assert.deepEqual(deploymentRequest({ strategy: "rolling", batchPercentage: 50, onConflict: "cancel" }), {
    strategy: "Rolling",
    config: { batchPercentage: 50, batchInterval: "PT1M" },
    analysis: {},
    onConflict: "cancel",
  });
  assert.deepEqual(deploymentRequest({ strategy: "direct" }), { strategy: "Direct", config: {}, analysis: {} });
});

test("function diff: a rename replaces, code and configuration update, readable respellings and unchanged inputs do not", async () => {
  const base = (await functionProvider.check!({}, fn())).inputs;
  const diff = async (over: Record<string, unknown>) => functionProvider.diff!("hello", { ...base, latestVersion: 1 }, (await functionProvider.check!({}, fn(over))).inputs);
  assert.deepEqual(await diff({}), { changes: false, replaces: [], deleteBeforeReplace: false });
  assert.deepEqual(await diff({ memory: "0.25 GB" }), { changes: false, replaces: [], deleteBeforeReplace: false });
  assert.deepEqual(await diff({ name: "hello2" }), { changes: true, replaces: ["name"], deleteBeforeReplace: false });
  assert.deepEqual(await diff({ codeSha256: "b".repeat(64) }), { changes: true, replaces: [], deleteBeforeReplace: false });
  assert.deepEqual(await diff({ environment: { A: "1" } }), { changes: true, replaces: [], deleteBeforeReplace: false });
  assert.deepEqual(await diff({ codeSha256: UNKNOWN }), { changes: true, replaces: [], deleteBeforeReplace: false });
});

test("alias diff: a new function or name replaces, version and weights update, unchanged inputs do not", async () => {
  const base = (await aliasProvider.check!({}, alias())).inputs;
  const diff = async (over: Record<string, unknown>) => aliasProvider.diff!("hello:live", { ...base, arn: "x" }, (await aliasProvider.check!({}, alias(over))).inputs);
  assert.deepEqual(await diff({}), { changes: false, replaces: [], deleteBeforeReplace: false });
  assert.deepEqual(await diff({ functionName: "other" }), { changes: true, replaces: ["functionName"], deleteBeforeReplace: false });
  assert.deepEqual(await diff({ name: "prod" }), { changes: true, replaces: ["name"], deleteBeforeReplace: false });
  assert.deepEqual(await diff({ version: 3 }), { changes: true, replaces: [], deleteBeforeReplace: false });
  assert.deepEqual(await diff({ weights: { 1: 0.1 } }), { changes: true, replaces: [], deleteBeforeReplace: false });
  assert.deepEqual(await diff({ version: UNKNOWN }), { changes: true, replaces: [], deleteBeforeReplace: false });
});
