/**
 * What a `hotswap runner` process loads: with the code in a directory and tracing off, neither the
 * AWS SDK (the S3 code store), the OpenTelemetry SDK, nor the CLI's client commands with the API's
 * schemas (zod-openapi) are loaded: each is loaded only where it is used, which keeps a runner's
 * own memory down (issue 20's density goal: under 200 MB with 1,000 functions). The process is
 * started as users start it and its module resolutions are recorded (tests/support/module-trace.mjs).
 *   Needs Redis (see tests/support/services.ts).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { TEST_REDIS_URL, serviceSkipReason } from "../support/services.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Start `hotswap runner`, wait until it serves, stop it; the URLs it resolved. */
async function modulesOfRunner(dir: string, env: Record<string, string>): Promise<string[]> {
  const trace = join(dir, "modules.txt");
  const child = spawn(process.execPath, ["--import", join(ROOT, "tests/support/module-trace.mjs"), "--import", "tsx", "cli/main.ts", "runner"], {
    cwd: ROOT,
    env: { ...process.env, ...env, MODULE_TRACE_FILE: trace },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the runner did not start within 60 s:\n${output}`)), 60_000);
    const onData = (c: Buffer) => {
      output += c.toString();
      if (/serving on/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the runner exited with ${code} before serving:\n${output}`));
    });
  });
  child.kill("SIGTERM");
  await exited;
  return (await readFile(trace, "utf8")).split("\n").filter(Boolean);
}

test("hotswap runner (code in a directory, tracing off) loads neither the AWS SDK, the OpenTelemetry SDK, nor the client commands", { timeout: 90_000 }, async (t) => {
  const skip = await serviceSkipReason("redis", TEST_REDIS_URL);
  if (skip) return t.skip(skip);
  const dir = await mkdtemp(join(tmpdir(), "hs-footprint-"));
  try {
    const modules = await modulesOfRunner(dir, {
      REDIS_URL: TEST_REDIS_URL,
      HOTSWAP_REDIS_PREFIX: `hstest:footprint:${randomBytes(4).toString("hex")}:`,
      HOTSWAP_CLUSTER_SECRET: randomBytes(24).toString("hex"),
      RUNNER_ID: "footprint",
      RUNNER_LISTEN: "127.0.0.1:0",
      RUNNER_STEMS: "0",
      HOTSWAP_DATA_DIR: join(dir, "runner"),
      HOTSWAP_CODE_DIR: join(dir, "code"),
      LOG_LEVEL: "warn",
      OTEL_EXPORTER_OTLP_ENDPOINT: "",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "",
      S3_ENDPOINT: "",
    });
    // Sanity: the trace saw the runner's own modules and the Redis client it does use.
    assert.ok(modules.some((u) => u.endsWith("/runner/src/runner-node.ts")), "the trace records the runner's modules");
    assert.ok(modules.some((u) => u.includes("/node_modules/ioredis/")), "the trace records packages");
    const loaded = (pattern: RegExp) => modules.filter((u) => pattern.test(u)).slice(0, 3);
    assert.deepEqual(loaded(/\/node_modules\/@aws-sdk\//), [], "the AWS SDK is loaded only for an S3 code store");
    assert.deepEqual(loaded(/\/node_modules\/@opentelemetry\/sdk-trace-base\//), [], "the OpenTelemetry SDK is loaded only when tracing is on");
    assert.deepEqual(loaded(/\/node_modules\/@hono\/zod-openapi\//), [], "the API's schemas are not loaded by a runner");
    assert.deepEqual(loaded(/\/cli\/commands\/client\.ts$|\/client\/[^/]+\.ts$/), [], "the client commands are not loaded for an operator command");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
