/**
 * The runner-node composition on the process backend with the real Node bootstrap: the embedded
 * runner and the agent are built from the same config into the same node, with the runner-wide
 * budget, reports that match what heartbeats carry, and provisioning fenced by the leader token.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FunctionSpec } from "../../protocol/invoke.ts";
import { FsCodeStore } from "../../shared/code-store/fs-code-store.ts";
import { createLogger } from "../../shared/logger.ts";
import { zipFixture } from "../../tests/support/zip.ts";
import { removeTree } from "./code-cache/code-cache.ts";
import { loadRunnerConfig } from "./config.ts";
import { startRunnerNode, type LocalRunnerNode } from "./runner-node.ts";

async function setup(t: { after(fn: () => Promise<void>): void }, env: Record<string, string> = {}): Promise<{ node: LocalRunnerNode; spec: FunctionSpec }> {
  const root = await mkdtemp(join(tmpdir(), "hs-runner-node-"));
  const store = new FsCodeStore(join(root, "store"));
  await store.init();
  const config = loadRunnerConfig({ HOTSWAP_DATA_DIR: root, ...env }, { hostname: "test-host", mode: "embedded" });
  const node = await startRunnerNode(config, { codeStore: store, log: createLogger("silent") });
  t.after(async () => {
    await node.close();
    await removeTree(root);
  });
  const { sha256 } = await store.put(zipFixture("node-cjs"));
  const spec: FunctionSpec = {
    functionName: "node-cjs",
    version: 1,
    runtime: "nodejs20",
    handler: "index.handler",
    memorySize: 128,
    timeout: 10,
    environment: {},
    codeSha256: sha256,
    protocol: "fast",
    instanceConcurrency: 1,
  };
  return { node, spec };
}

test("the embedded runner node has the fleet runner's budget and reports it like a heartbeat", async (t) => {
  const { node } = await setup(t, { RUNNER_MAX_INSTANCES: "3", RUNNER_MEMORY_MB: "512" });
  assert.equal(node.id, "embedded-test-host");
  assert.equal(node.status().id, "embedded-test-host");
  assert.deepEqual(node.report(), {
    backend: "process",
    state: "ready",
    capacity: { memoryMb: 512, maxInstances: 3 },
    load: { inflight: 0, instances: 0, memoryMb: 0 },
    versions: [],
    stems: {},
  });
});

test("provisioning starts instances, reports them held, and ignores a command from an older leader", async (t) => {
  const { node, spec } = await setup(t);
  assert.deepEqual(await node.provision({ spec, count: 1, holdMs: 60_000, touch: false, leaderToken: 5 }), { live: 1, applied: true });
  const v = node.report().versions.find((x) => x.functionName === "node-cjs");
  assert.deepEqual({ instances: v?.instances, held: v?.held }, { instances: 1, held: 1 });
  assert.equal(node.report().load.memoryMb, 128, "the instance's memory is taken from the budget");
  // A deposed leader (token 4) asks to drop the hold: not applied, the instance stays held.
  assert.deepEqual(await node.provision({ spec, count: 0, holdMs: 0, touch: false, leaderToken: 4 }), { live: 1, applied: false });
  assert.equal(node.report().versions.find((x) => x.functionName === "node-cjs")?.held, 1);
});

test("a full budget refuses a cold start of another version, naming the settings to raise", async (t) => {
  const { node, spec } = await setup(t, { RUNNER_MAX_INSTANCES: "1" });
  await node.provision({ spec, count: 1, holdMs: 60_000, touch: false });
  const other = { ...spec, version: 2 };
  const o = await node.invoke({ spec: other, requestId: "r-1", payload: Buffer.from("{}") });
  assert.equal(o.kind, "platform-error", JSON.stringify(o));
  assert.match((o as { message: string }).message, /runner is full .*RUNNER_MAX_INSTANCES/);
});
