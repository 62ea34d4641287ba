import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import type { RunnerReport } from "../../../protocol/runner.ts";
import { createRunnerRegistry, instanceCounts, registerRunnerMetrics } from "./runner-metrics.ts";

const report = (over: Partial<RunnerReport> = {}): RunnerReport => ({
  backend: "process",
  state: "ready",
  capacity: { memoryMb: 4096, maxInstances: 20 },
  load: { inflight: 3, instances: 5, memoryMb: 640 },
  versions: [
    { key: "a@1#c", functionName: "a", version: 1, instances: 3, starting: 1, warm: 1, free: 1, inflight: 2, held: 0 },
    { key: "b@2#d", functionName: "b", version: 2, instances: 2, starting: 0, warm: 1, free: 3, inflight: 1, held: 1 },
  ],
  stems: { nodejs20: 2, "python3.12": 1 },
  ...over,
});

test("counts instances busy, idle, starting and stem from the pools", () => {
  assert.deepEqual(instanceCounts(report()), { busy: 3, idle: 2, starting: 1, stem: 3 });
});

test("reads the pools at scrape time, once per scrape, with the pool as the only label", async () => {
  let reads = 0;
  let current = report();
  const registry = new Registry();
  registerRunnerMetrics(registry, { report: () => (reads++, current) }, "gpu");
  const text = await registry.metrics();
  assert.equal(reads, 1, "one report for all the gauges of a scrape");
  for (const line of [
    'hotswap_runner_instances{pool="gpu",state="busy"} 3',
    'hotswap_runner_instances{pool="gpu",state="stem"} 3',
    'hotswap_runner_inflight{pool="gpu"} 3',
    'hotswap_runner_free_slots{pool="gpu"} 4',
    'hotswap_runner_budget_instances{pool="gpu"} 20',
    `hotswap_runner_budget_memory_bytes{pool="gpu"} ${4096 * 1024 * 1024}`,
    `hotswap_runner_memory_used_bytes{pool="gpu"} ${640 * 1024 * 1024}`,
  ]) {
    assert.ok(text.split("\n").includes(line), line);
  }
  current = report({ versions: [], stems: {}, load: { inflight: 0, instances: 0, memoryMb: 0 } });
  await new Promise((r) => setTimeout(r, 120));
  assert.match(await registry.metrics(), /^hotswap_runner_instances\{pool="gpu",state="idle"\} 0$/m, "a later scrape reads the pools again");
});

test("a fleet runner's registry has the process metrics; the embedded runner's has none (the control plane's has them)", async () => {
  const node = { report: () => report() };
  assert.match(await createRunnerRegistry(node, { pool: "default", processMetrics: true }).metrics(), /^process_resident_memory_bytes /m);
  assert.doesNotMatch(await createRunnerRegistry(node, { pool: "embedded", processMetrics: false }).metrics(), /^process_/m);
});
