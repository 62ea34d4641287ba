/**
 * The `hotswap` package as a user gets it: `npm pack` (whose prepack builds dist/), the tarball
 * installed with npm into a fresh stack project next to @pulumi/pulumi (no tsx, no typescript in
 * that project), and everything run there with plain `node`:
 * - a CommonJS program (`require("hotswap/pulumi")`) and an ES module one (`import`), under Pulumi's
 *   mocks (support/run-stack-program.cjs);
 * - the example stack (examples/stacks/hello), type-checked with its `pulumi new typescript` tsconfig
 *   (CommonJS, moduleResolution node) against the package's declarations, compiled to CommonJS as
 *   ts-node does under `pulumi up`, and run under the mocks;
 * - the providers those programs serialized, in Pulumi's dynamic-provider host against a real
 *   embedded control plane: the functions are created and answer;
 * - the `hotswap` command from node_modules/.bin.
 * The project has no `typescript`, so Pulumi's closure serializer parses the providers with its
 * vendored TypeScript 3.8, the strictest case (what a `pulumi new javascript` project gets).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";
import { buildCodePackage } from "../../infra/sdk/code-package.ts";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { ProviderHost } from "./support/provider-host.ts";

const run = promisify(execFile);
const REPO = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLE = join(REPO, "examples/stacks/hello");
const HARNESS = fileURLToPath(new URL("./support/run-stack-program.cjs", import.meta.url));
const PULUMI_VERSION = (JSON.parse(await readFile(join(REPO, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;
const VERSION = (JSON.parse(await readFile(join(REPO, "package.json"), "utf8")) as { version: string }).version;
/**
 * Packing builds dist/ and npm installs ~340 packages from its cache: well under a minute on a quiet
 * machine, several on a loaded one (two cores shared by many test runs); the bound is that case's.
 */
const SETUP_TIMEOUT_MS = 480_000;

/** npm and node as a user's shell runs them: without this test run's loader or npm's lifecycle variables. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (/^npm_(package_|lifecycle_|config_local_prefix)|^INIT_CWD$/.test(k)) delete env[k];
  return env;
}

/** A plain CommonJS stack program: an explicit Provider, a function, its alias. */
const CJS_PROGRAM = `const pulumi = require("@pulumi/pulumi");
const hotswap = require("hotswap/pulumi");
const config = new pulumi.Config();
const provider = new hotswap.Provider("hotswap", { endpoint: config.require("endpoint"), apiKey: config.requireSecret("apiKey") });
const fn = new hotswap.Function("packed-cjs", { runtime: "nodejs20", handler: "index.handler", code: "./functions/hello", memory: "128 MB", environment: { GREETING: "Hoi" } }, { provider });
const live = new hotswap.Alias("packed-cjs-live", { function: fn, name: "live", version: fn.latestVersion }, { provider });
exports.arn = fn.arn;
exports.liveVersion = live.version;
`;

/** A plain ES module stack program: no Provider, the connection from the `hotswap:` stack config. */
const ESM_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as hotswap from "hotswap/pulumi";
const fn = new hotswap.Function("packed-esm", { runtime: "nodejs20", handler: "index.handler", code: new pulumi.asset.FileArchive("./functions/hello"), timeout: "5 seconds" });
new hotswap.Trigger("packed-esm-route", { function: fn, type: "Http", config: { methods: ["GET"], path: "/packed-esm", auth: "none" } });
export const url = pulumi.interpolate\`\${fn.name}\`;
`;

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  secretInputs: string[];
}
interface StackRun {
  resources: Recorded[];
  outputs: Record<string, unknown>;
}

describe("the packed hotswap package in a fresh stack project, with plain node", () => {
  let work: string;
  let project: string;
  let tarball: string;
  let p: TestPlatform;
  let host: ProviderHost | undefined;
  let platformOutputs: Record<string, string>;

  async function runProgram(program: string, projectName: string, config: Record<string, string> = {}): Promise<StackRun> {
    const { stdout } = await run(process.execPath, [join(project, "run-stack-program.cjs"), join(project, program), projectName, JSON.stringify(platformOutputs), JSON.stringify(config)], {
      cwd: project,
      env: userEnv(),
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(stdout) as StackRun;
  }
  /** Each program runs once; the tests share its result. */
  const runs = new Map<string, Promise<StackRun>>();
  const cjsRun = () => runs.get("cjs") ?? runs.set("cjs", runProgram("cjs-program.js", "packed-cjs", { "packed-cjs:endpoint": p.url, "packed-cjs:apiKey": p.key })).get("cjs")!;
  const esmRun = () => runs.get("esm") ?? runs.set("esm", runProgram("esm-program.mjs", "packed-esm", { "hotswap:endpoint": p.url, "hotswap:apiKey": p.key })).get("esm")!;
  const one = (r: StackRun, name: string) => {
    const found = r.resources.filter((x) => x.name === name);
    assert.equal(found.length, 1, `one resource named ${name}`);
    return found[0]!;
  };

  before(
    async () => {
      work = await mkdtemp(join(tmpdir(), "hs-packed-sdk-"));
      const [platform, packed] = await Promise.all([
        startPlatform("embedded"),
        run("npm", ["pack", "--json", "--pack-destination", work], { cwd: REPO, env: userEnv(), maxBuffer: 64 * 1024 * 1024 }),
      ]);
      p = platform;
      platformOutputs = { apiEndpoint: p.url, adminKey: p.key, deployerKey: p.key };
      tarball = join(work, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
      // The example stack as the project, depending on the tarball and on the @pulumi/pulumi this repository uses.
      project = join(work, "project");
      await cp(EXAMPLE, project, { recursive: true, filter: (src) => !/\/(node_modules|bin)$/.test(src) });
      const manifest = { name: "packed-sdk-project", private: true, dependencies: { "@pulumi/pulumi": PULUMI_VERSION, hotswap: `file:${tarball}` } };
      await writeFile(join(project, "package.json"), JSON.stringify(manifest, null, 2));
      await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: project, env: userEnv(), maxBuffer: 64 * 1024 * 1024 });
      await cp(HARNESS, join(project, "run-stack-program.cjs"));
      await writeFile(join(project, "cjs-program.js"), CJS_PROGRAM);
      await writeFile(join(project, "esm-program.mjs"), ESM_PROGRAM);
    },
    { timeout: SETUP_TIMEOUT_MS },
  );
  after(async () => {
    await host?.stop();
    await p?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("the tarball holds compiled JavaScript, declarations and run-time files, and no TypeScript source or tests", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball], { maxBuffer: 16 * 1024 * 1024 });
    const files = stdout.split("\n").filter(Boolean);
    for (const f of [
      "package/package.json",
      "package/bin/hotswap.js",
      "package/dist/cli/main.js",
      "package/dist/infra/sdk/index.js",
      "package/dist/infra/sdk/index.d.ts",
      "package/dist/cjs/pulumi.cjs",
      "package/dist/cjs/pulumi.d.cts",
      "package/dist/platform/migrations/0000_init.sql",
      "package/dist/runtimes/node/bootstrap.mjs",
      // The web console's bundle, served from there by the compiled control plane, wherever the repository builds one.
      ...(existsSync(join(REPO, "scripts/build-console.ts")) ? ["package/dist/console/dist/index.html"] : []),
    ]) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    const source = files.filter((f) => /\.ts$/.test(f) && !/\.d\.ts$/.test(f));
    assert.deepEqual(source, [], "no TypeScript source");
    assert.deepEqual(
      files.filter((f) => /(^|\/)(tests?|fixtures)\//.test(f) || /\.test\.|\.contract\./.test(f)),
      [],
      "no tests",
    );
  });

  test("a CommonJS program requires hotswap/pulumi and declares its resources", async () => {
    const r = await cjsRun();
    assert.equal(one(r, "hotswap").type, "hotswap:index:Provider");
    const fn = one(r, "packed-cjs");
    assert.equal(fn.type, "pulumi-nodejs:dynamic/hotswap:Function");
    assert.equal(fn.inputs.endpoint, p.url);
    assert.ok(fn.secretInputs.includes("apiKey"), "the key stays secret");
    assert.equal(fn.inputs.memory, "128 MB");
    assert.equal(fn.inputs.codeSha256, (await buildCodePackage(join(EXAMPLE, "functions/hello"))).sha256);
    assert.match(fn.inputs.__provider, /^exports\.handler = /, "the provider is serialized into the inputs");
    const live = one(r, "packed-cjs-live");
    assert.equal(live.type, "pulumi-nodejs:dynamic/hotswap:Alias");
    assert.equal(live.inputs.functionName, "packed-cjs");
    assert.equal(live.inputs.version, 1);
    assert.equal(r.outputs.arn, "arn:aws:lambda:us-east-1:000000000000:function:packed-cjs");
    assert.equal(r.outputs.liveVersion, 1);
  });

  test("an ES module program imports hotswap/pulumi and connects through the hotswap: stack config", async () => {
    const r = await esmRun();
    const fn = one(r, "packed-esm");
    assert.equal(fn.type, "pulumi-nodejs:dynamic/hotswap:Function");
    assert.equal(fn.inputs.endpoint, p.url);
    assert.equal(fn.inputs.timeout, "5 seconds");
    const route = one(r, "packed-esm-route");
    assert.equal(route.type, "pulumi-nodejs:dynamic/hotswap:Trigger");
    assert.deepEqual(route.inputs.config, { methods: ["GET"], path: "/packed-esm", auth: "none" });
    assert.equal(r.outputs.url, "packed-esm");
  });

  test("the providers both programs serialized run in Pulumi's dynamic-provider host: the functions are created and answer", async () => {
    host = await ProviderHost.start();
    for (const [stackRun, projectName, name] of [
      [cjsRun, "packed-cjs", "packed-cjs"],
      [esmRun, "packed-esm", "packed-esm"],
    ] as const) {
      const fn = one(await stackRun(), name);
      const urn = `urn:pulumi:dev::${projectName}::pulumi-nodejs:dynamic/hotswap:Function::${name}`;
      const checked = await host.check(urn, {}, fn.inputs);
      assert.deepEqual(checked.failures, [], name);
      const created = await host.create(urn, checked.inputs);
      assert.equal(created.id, name);
      assert.equal(created.outs.latestVersion, 1);
      const res = await p.api("POST", `/api/v1/functions/${name}/invoke`, { name: "npm pack" });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.message, `${name === "packed-cjs" ? "Hoi" : "Hello"}, npm pack!`);
    }
  });

  test("node_modules/.bin/hotswap runs the compiled CLI", async () => {
    const bin = join(project, "node_modules/.bin/hotswap");
    const help = await run(bin, ["--help"], { cwd: project, env: userEnv() });
    assert.match(help.stdout, /usage/i);
    assert.match(help.stdout, /server/);
    const version = await run(bin, ["--version"], { cwd: project, env: userEnv() });
    assert.match(version.stdout, new RegExp(`\\b${VERSION.replace(/\./g, "\\.")}\\b`));
  });

  describe("the example stack (examples/stacks/hello) on the package", () => {
    let program: ts.Program;
    let example: StackRun;

    before(
      async () => {
        const parsed = ts.getParsedCommandLineOfConfigFile(join(project, "tsconfig.json"), {}, {
          ...ts.sys,
          onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, "\n")),
        })!;
        program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
        const emitted = program.emit();
        assert.equal(emitted.emitSkipped, false);
        example = await runProgram("bin/index.js", "hotswap-hello");
      },
      { timeout: SETUP_TIMEOUT_MS },
    );

    test("type-checks with its pulumi new typescript tsconfig (CommonJS, moduleResolution node) against the package's declarations", () => {
      assert.equal(program.getCompilerOptions().module, ts.ModuleKind.CommonJS);
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
      assert.deepEqual(diagnostics, []);
      const declarations = program.getSourceFiles().map((f) => f.fileName);
      assert.ok(declarations.includes(join(project, "node_modules/hotswap/dist/infra/sdk/index.d.ts")), "hotswap/pulumi resolves to the package's declarations");
    });

    test("the declarations are real types: a wrong runtime is a type error", () => {
      const bad = join(project, "wrong-runtime.ts");
      const host = ts.createCompilerHost(program.getCompilerOptions());
      const readFile = host.readFile;
      host.readFile = (f) => (f === bad ? `import * as hotswap from "hotswap/pulumi";\nnew hotswap.Function("x", { runtime: "cobol85", handler: "a.b", code: "." });\n` : readFile(f));
      host.fileExists = ((exists) => (f: string) => f === bad || exists(f))(host.fileExists);
      const checked = ts.createProgram({ rootNames: [bad], options: program.getCompilerOptions(), host, oldProgram: program });
      const errors = ts.getPreEmitDiagnostics(checked, checked.getSourceFile(bad)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      assert.equal(errors.length, 1, errors.join("\n"));
      assert.match(errors[0]!, /"cobol85".*not assignable/);
    });

    test("runs, compiled to CommonJS, under the mocks: the provider from the platform stack, two functions, their aliases and triggers", async () => {
      const ref = one(example, "platform");
      assert.equal(ref.type, "pulumi:pulumi:StackReference");
      assert.equal(ref.inputs.name, "organization/hotswap/dev");
      assert.equal(one(example, "hotswap").type, "hotswap:index:Provider");
      const dynamic = example.resources.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic/hotswap:"));
      assert.deepEqual(dynamic.map((x) => x.name).sort(), ["greeter", "greeter-live", "greeter-schedule", "hello", "hello-live", "hello-route"]);
      for (const r of dynamic) {
        assert.equal(r.inputs.endpoint, p.url, r.name);
        assert.ok(r.secretInputs.includes("apiKey"), `${r.name}: the deployer key stays secret`);
      }
      const hello = one(example, "hello");
      assert.equal(hello.inputs.runtime, "nodejs20");
      assert.deepEqual(hello.inputs.environment, { GREETING: "Hello", FAIL: "false" });
      assert.equal(hello.inputs.codeSha256, (await buildCodePackage(join(EXAMPLE, "functions/hello"))).sha256);
      assert.equal(one(example, "greeter").inputs.codeSha256, (await buildCodePackage(join(EXAMPLE, "functions/greeter"))).sha256);
      assert.deepEqual(one(example, "hello-live").inputs.rollout, {
        strategy: "canary",
        percentage: 10,
        duration: "5 minutes",
        analysis: { interval: "30 seconds", maxErrorRate: 0.05, maxP99: "500 ms", minRequests: 20 },
        timeout: "30 minutes",
      });
      assert.equal(one(example, "greeter-live").inputs.rollout, undefined);
      assert.equal(one(example, "hello-route").inputs.qualifier, "live");
      assert.equal(one(example, "greeter-schedule").inputs.config.schedule, "0 8 * * *");
      assert.equal(example.outputs.helloRouteUrl, `${p.url}/fn/hello`);
      assert.equal(example.outputs.helloUrl, `${p.url}/api/v1/functions/hello/invoke?qualifier=live`);
      assert.equal(example.outputs.helloArn, "arn:aws:lambda:us-east-1:000000000000:function:hello");
    });

    test("its stack config changes the greeting, the failure switch and the platform stack", async () => {
      const changed = await runProgram("bin/index.js", "hotswap-hello", { "hotswap-hello:greeting": "Bonjour", "hotswap-hello:fail": "true", "hotswap-hello:platformStack": "acme/hotswap/prod" });
      assert.deepEqual(one(changed, "hello").inputs.environment, { GREETING: "Bonjour", FAIL: "true" });
      assert.equal(one(changed, "platform").inputs.name, "acme/hotswap/prod");
    });
  });
});
