/**
 * The example stack (examples/stacks/hello) as a user gets it: copied into a project directory whose
 * node_modules holds the `hotswap` package, its program run under `pulumi.runtime.setMocks` with
 * `node --import tsx` (what its Pulumi.yaml asks for), importing the SDK as "hotswap/pulumi" through
 * the package's exports. Then its functions are deployed through the providers and invoked.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { buildCodePackage } from "../../infra/sdk/code-package.ts";
import { functionProvider } from "../../infra/sdk/function-provider.ts";
import { aliasProvider } from "../../infra/sdk/alias-provider.ts";
import { triggerProvider } from "../../infra/sdk/trigger-provider.ts";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { PLATFORM_OUTPUTS } from "./support/mocks.ts";
import { functionInputs } from "./support/sdk.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLE = join(REPO, "examples/stacks/hello");
const RUNNER = fileURLToPath(new URL("./support/run-example.ts", import.meta.url));

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  secretInputs: string[];
}

/** Copies the example into a fresh project whose node_modules links hotswap (this repository) and its tools. */
async function projectCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hs-example-"));
  await cp(EXAMPLE, dir, { recursive: true, filter: (src) => !src.includes("node_modules") });
  await mkdir(join(dir, "node_modules"));
  await symlink(REPO.replace(/\/$/, ""), join(dir, "node_modules", "hotswap"));
  for (const dep of ["@pulumi", "tsx"]) await symlink(join(REPO, "node_modules", dep), join(dir, "node_modules", dep));
  return dir;
}

async function runExample(dir: string, config: Record<string, string> = {}) {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", RUNNER, join(dir, "index.ts"), "hotswap-hello", "dev", JSON.stringify(config)], {
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as { resources: Recorded[]; outputs: Record<string, unknown> };
}

describe("the example stack examples/stacks/hello", () => {
  let dir: string;
  let run: Awaited<ReturnType<typeof runExample>>;
  const byName = (name: string) => {
    const found = run.resources.filter((r) => r.name === name);
    assert.equal(found.length, 1, `one resource named ${name}`);
    return found[0]!;
  };

  before(async () => {
    dir = await projectCopy();
    run = await runExample(dir);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("reads the platform stack through a StackReference and connects a hotswap.Provider to it", () => {
    const ref = byName("platform");
    assert.equal(ref.type, "pulumi:pulumi:StackReference");
    assert.equal(ref.inputs.name, "organization/hotswap/dev");
    assert.equal(byName("hotswap").type, "hotswap:index:Provider");
    for (const r of run.resources.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic/hotswap:"))) {
      assert.equal(r.inputs.endpoint, PLATFORM_OUTPUTS.apiEndpoint, r.name);
      assert.equal(r.inputs.apiKey, PLATFORM_OUTPUTS.deployerKey, r.name);
      assert.ok(r.secretInputs.includes("apiKey"), `${r.name}: the admin key stays secret`);
    }
  });

  test("declares a Node.js and a Python function with their code packaged from the example's directories", async () => {
    const hello = byName("hello");
    assert.equal(hello.type, "pulumi-nodejs:dynamic/hotswap:Function");
    assert.equal(hello.inputs.runtime, "nodejs20");
    assert.equal(hello.inputs.handler, "index.handler");
    assert.equal(hello.inputs.memory, "256 MB");
    assert.equal(hello.inputs.timeout, "10 seconds");
    assert.deepEqual(hello.inputs.environment, { GREETING: "Hello", FAIL: "false" });
    assert.equal(hello.inputs.codeSha256, (await buildCodePackage(join(EXAMPLE, "functions/hello"))).sha256);
    const greeter = byName("greeter");
    assert.equal(greeter.inputs.runtime, "python3.12");
    assert.equal(greeter.inputs.handler, "handler.handler");
    assert.equal(greeter.inputs.codeSha256, (await buildCodePackage(join(EXAMPLE, "functions/greeter"))).sha256);
  });

  test("gives hello an alias live with a canary rollout, and greeter a direct alias live", () => {
    const helloLive = byName("hello-live");
    assert.equal(helloLive.type, "pulumi-nodejs:dynamic/hotswap:Alias");
    assert.equal(helloLive.inputs.functionName, "hello");
    assert.equal(helloLive.inputs.name, "live");
    assert.equal(helloLive.inputs.version, 1);
    assert.deepEqual(helloLive.inputs.rollout, {
      strategy: "canary",
      percentage: 10,
      duration: "5 minutes",
      analysis: { interval: "30 seconds", maxErrorRate: 0.05, maxP99: "500 ms", minRequests: 20 },
      timeout: "30 minutes",
    });
    const greeterLive = byName("greeter-live");
    assert.equal(greeterLive.inputs.functionName, "greeter");
    assert.equal(greeterLive.inputs.name, "live");
    assert.equal(greeterLive.inputs.rollout, undefined);
  });

  test("every declared resource passes its provider's check", async () => {
    for (const r of run.resources) {
      const provider = r.type.endsWith(":Function") ? functionProvider : r.type.endsWith(":Alias") ? aliasProvider : r.type.endsWith(":Trigger") ? triggerProvider : undefined;
      if (!provider) continue;
      const { failures } = await provider.check!({}, r.inputs);
      assert.deepEqual(failures, [], r.name);
    }
  });

  test("routes GET /hello to hello's live alias, publicly, and runs greeter on a schedule", () => {
    const route = byName("hello-route");
    assert.equal(route.type, "pulumi-nodejs:dynamic/hotswap:Trigger");
    assert.equal(route.inputs.functionName, "hello");
    assert.equal(route.inputs.qualifier, "live");
    assert.equal(route.inputs.type, "Http");
    assert.deepEqual(route.inputs.config, { methods: ["GET"], path: "/hello", auth: "none", cors: { allowOrigins: ["*"], allowMethods: ["GET"] } });
    const schedule = byName("greeter-schedule");
    assert.equal(schedule.inputs.functionName, "greeter");
    assert.equal(schedule.inputs.type, "Scheduled");
    assert.deepEqual(schedule.inputs.config, { schedule: "0 8 * * *", timezone: "Europe/Berlin", input: { name: "team", lang: "de" } });
    assert.equal(run.outputs.helloRouteUrl, `${PLATFORM_OUTPUTS.apiEndpoint}/fn/hello`);
  });

  test("exports the invoke URLs and the live versions", () => {
    assert.equal(run.outputs.helloUrl, `${PLATFORM_OUTPUTS.apiEndpoint}/api/v1/functions/hello/invoke?qualifier=live`);
    assert.equal(run.outputs.greeterUrl, `${PLATFORM_OUTPUTS.apiEndpoint}/api/v1/functions/greeter/invoke?qualifier=live`);
    assert.equal(run.outputs.helloArn, "arn:aws:lambda:us-east-1:000000000000:function:hello");
  });

  test("stack config changes the greeting and the failure switch", async () => {
    const changed = await runExample(dir, { "hotswap-hello:greeting": "Bonjour", "hotswap-hello:fail": "true", "hotswap-hello:platformStack": "acme/hotswap/prod" });
    const hello = changed.resources.find((r) => r.name === "hello")!;
    assert.deepEqual(hello.inputs.environment, { GREETING: "Bonjour", FAIL: "true" });
    assert.equal(changed.resources.find((r) => r.name === "platform")!.inputs.name, "acme/hotswap/prod");
  });
});

describe("the example's functions on an embedded control plane", () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded");
  });
  after(async () => {
    await p?.close();
  });

  test("hello answers with the configured greeting through its alias, and throws when fail is set", async () => {
    const code = join(EXAMPLE, "functions/hello");
    const { outs } = await functionProvider.create(await functionInputs(p, "hello", code, { environment: { GREETING: "Hi", FAIL: "false" } }));
    await aliasProvider.create({ ...(await aliasProvider.check!({}, { endpoint: p.url, apiKey: p.key, functionName: "hello", name: "live", version: 1 })).inputs });
    const res = await p.api("POST", "/api/v1/functions/hello/invoke?qualifier=live", { name: "HotSwap" });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.message, "Hi, HotSwap!");
    assert.equal(res.json.version, "1");
    const failing = await functionProvider.update!("hello", outs, await functionInputs(p, "hello", code, { environment: { GREETING: "Hi", FAIL: "true" } }));
    const thrown = await p.api("POST", `/api/v1/functions/hello/invoke?qualifier=${failing.outs.latestVersion}`, {});
    assert.equal(thrown.status, 500);
    assert.match(thrown.json.errorMessage, /failing on purpose/);
    // The stack's route: GET /fn/hello through live (still version 1), public, with CORS.
    const route = await triggerProvider.check!({}, { endpoint: p.url, apiKey: p.key, functionName: "hello", qualifier: "live", type: "Http", config: { methods: ["GET"], path: "/hello", auth: "none", cors: { allowOrigins: ["*"], allowMethods: ["GET"] } } });
    assert.deepEqual(route.failures, []);
    await triggerProvider.create(route.inputs as never);
    const viaRoute = await fetch(`${p.url}/fn/hello`, { headers: { origin: "https://example.org" } });
    assert.equal(viaRoute.status, 200);
    assert.equal(viaRoute.headers.get("access-control-allow-origin"), "*");
    const body = (await viaRoute.json()) as { message: string; version: string };
    assert.equal(body.message, "Hi, world!");
    assert.equal(body.version, "1");
  });

  test("greeter answers in the requested language", async (t) => {
    const { runtimes } = (await p.api("GET", "/api/v1/runtimes")).json as { runtimes: Array<{ id: string; available: boolean; reason?: string }> };
    const python = runtimes.find((r) => r.id === "python3.12");
    if (!python?.available && process.env.CI !== "true") {
      t.skip(`python3.12 is not available on this host: ${python?.reason ?? "see GET /api/v1/runtimes"}`);
      return;
    }
    await functionProvider.create(await functionInputs(p, "greeter", join(EXAMPLE, "functions/greeter"), { runtime: "python3.12", handler: "handler.handler" }));
    const res = await p.api("POST", "/api/v1/functions/greeter/invoke?qualifier=1", { name: "Ada", lang: "fr" });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { message: "Bonjour, Ada!", version: "1" });
  });
});
