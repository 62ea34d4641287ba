/**
 * Caps a function cannot raise (issue 14, finding 6), on the embedded platform as `npm start`
 * runs it: a function's maxInstances (up to 1000) only lowers the runner's per-version cap
 * (RUNNER_MAX_INSTANCES_PER_VERSION), and provisioned concurrency is bounded by the runner's
 * budget (RUNNER_MAX_INSTANCES), so one function cannot start 1000 processes.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startPlatform, type TestPlatform } from "../support/platform.ts";
import { waitFor } from "../support/wait-for.ts";
import { zipFixture } from "../support/zip.ts";

interface RunnerVersion {
  function: string;
  version: number;
  instances: number;
  held: number;
}

async function deploy(p: TestPlatform, name: string, settings: Record<string, unknown>): Promise<void> {
  const created = await p.api("POST", "/api/v1/functions", { name, runtime: "nodejs20", handler: "index.handler", ...settings });
  assert.equal(created.status, 201, created.text);
  const v = await p.api("POST", `/api/v1/functions/${name}/versions`, zipFixture("node-concurrent"), { "content-type": "application/zip" });
  assert.equal(v.status, 201, v.text);
}

/** The embedded runner's view: every version it holds, and its total instances. */
async function runnerLoad(p: TestPlatform): Promise<{ instances: number; versions: RunnerVersion[] }> {
  const r = await p.api("GET", "/api/v1/runners");
  assert.equal(r.status, 200, r.text);
  const runner = r.json.runners[0];
  return { instances: runner.load.instances, versions: runner.warm };
}

/** Sample the runner's instance count until `done` settles; resolves with the highest seen. */
async function peakInstances(p: TestPlatform, name: string, done: Promise<unknown>): Promise<number> {
  let finished = false;
  void done.finally(() => (finished = true));
  let peak = 0;
  while (!finished) {
    const load = await runnerLoad(p);
    peak = Math.max(peak, load.versions.find((v) => v.function === name)?.instances ?? 0);
    await new Promise((r) => setTimeout(r, 20));
  }
  return peak;
}

describe("a function's maxInstances never raises the runner's per-version cap", { timeout: 90_000 }, () => {
  let p: TestPlatform;
  before(async () => {
    p = await startPlatform("embedded", { RUNNER_MAX_INSTANCES: "16", RUNNER_MAX_INSTANCES_PER_VERSION: "3" });
  });
  after(async () => {
    await p?.close();
  });

  test("20 concurrent invocations of a function with maxInstances 1000 run on at most 3 instances, and all are answered", async () => {
    await deploy(p, "wide", { maxInstances: 1000 });
    const calls = Promise.all(
      Array.from({ length: 20 }, () =>
        p.api("POST", "/api/v1/functions/wide/invoke", JSON.stringify({ ms: 300 }), { "content-type": "application/json" }),
      ),
    );
    const peak = await peakInstances(p, "wide", calls);
    const results = await calls;
    for (const r of results) assert.equal(r.status, 200, r.text);
    const pids = new Set(results.map((r) => r.json.pid));
    assert.ok(pids.size <= 3, `ran on ${pids.size} instances (pids ${[...pids].join(", ")}), the cap is 3`);
    assert.ok(peak <= 3, `the runner held ${peak} instances of the version at once, the cap is 3`);
    assert.ok(results.every((r) => r.json.startedWith === 1), "one invocation at a time per instance");
  });

  test("a function's smaller maxInstances still applies (the README's 'unless the function sets less')", async () => {
    await deploy(p, "narrow", { maxInstances: 1 });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => p.api("POST", "/api/v1/functions/narrow/invoke", JSON.stringify({ ms: 100 }), { "content-type": "application/json" })),
    );
    for (const r of results) assert.equal(r.status, 200, r.text);
    assert.equal(new Set(results.map((r) => r.json.pid)).size, 1);
  });

  test("provisionedConcurrency 1000 is clamped to the per-version cap", async () => {
    await deploy(p, "provisioned", { maxInstances: 1000, provisionedConcurrency: 1000 });
    const live = await waitFor(
      "the provisioned instances of 'provisioned' to start",
      async () => (await runnerLoad(p)).versions.find((v) => v.function === "provisioned"),
      { until: (v) => v !== undefined && v.instances >= 3, timeoutMs: 30_000 },
    );
    assert.equal(live!.instances, 3);
    // A few more planner ticks (1 s each) must not push it past the cap.
    await new Promise((r) => setTimeout(r, 2500));
    const after = (await runnerLoad(p)).versions.find((v) => v.function === "provisioned")!;
    assert.equal(after.instances, 3);
    assert.ok(after.held <= 3, `held ${after.held}, more than the cap`);
  });
});

describe("provisioned capacity is bounded by the runner-wide budget", { timeout: 90_000 }, () => {
  let p: TestPlatform;
  before(async () => {
    // A per-version cap above the budget: the budget is what stops it.
    p = await startPlatform("embedded", { RUNNER_MAX_INSTANCES: "4", RUNNER_MAX_INSTANCES_PER_VERSION: "50" });
  });
  after(async () => {
    await p?.close();
  });

  test("provisionedConcurrency 1000 starts RUNNER_MAX_INSTANCES instances, no more", async () => {
    await deploy(p, "greedy", { maxInstances: 1000, provisionedConcurrency: 1000 });
    await waitFor("the runner to fill its budget", async () => (await runnerLoad(p)).instances, { until: (n) => n >= 4, timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 2500));
    const load = await runnerLoad(p);
    assert.equal(load.instances, 4, JSON.stringify(load));
    assert.equal(load.versions.find((v) => v.function === "greedy")?.instances, 4);
  });
});
