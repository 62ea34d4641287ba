/**
 * Function logs on the docker backend, through a LocalRunner and a real LogShipper into a state
 * store stream: Node on the fast channel with four invocations interleaving on one container,
 * Python on the Runtime API and on the fast channel with four worker threads, each line with its own request id and stream, framed START … END,
 * REPORT with the container's peak memory (its cgroup's high-water mark), and LogType: Tail.
 * Needs runtime images built from this tree's bootstraps (npm run images -- --offline).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { FunctionSpec } from "../../protocol/invoke.ts";
import type { FunctionLogRecord } from "../../protocol/function-logs.ts";
import { MemoryStateStore } from "../../shared/state/memory-state-store.ts";
import { fixtureDir, fixtureSpec } from "../../runner/src/backends/backend.contract.ts";
import type { DockerBackend } from "../../runner/src/backends/docker/index.ts";
import { LocalRunner } from "../../runner/src/local-runner.ts";
import { assertLogMix, streamReader } from "../../runner/src/logs/function-logs.contract.ts";
import { LogShipper } from "../../runner/src/logs/log-shipper.ts";
import { dockerSkipReason, testBackend } from "./support.ts";

const skip = await dockerSkipReason();

describe("function logs on the docker backend", { skip }, () => {
  let backend: DockerBackend;
  let runner: LocalRunner;
  let state: MemoryStateStore;
  let shipper: LogShipper;
  let read: () => Promise<FunctionLogRecord[]>;
  let version = 0;
  const dirs = new Map<string, string>();

  before(async () => {
    state = new MemoryStateStore();
    shipper = new LogShipper({ state, log: { debug() {}, warn() {} }, flushMs: 20 });
    read = await streamReader(state, "docker-logs");
    backend = testBackend("logs", { logOutput: { sink: shipper } });
    runner = new LocalRunner({
      id: "docker-logs",
      backend,
      codeCache: { ensure: async (sha) => dirs.get(sha)! },
      idleTimeoutMs: 60_000,
      maxInstancesPerVersion: 2,
      queueSize: 16,
      queueTimeoutMs: 30_000,
    });
  });
  after(async () => {
    await runner?.close();
    await shipper?.close();
    await state?.close();
  });

  function deploy(fixture: string, runtime: "nodejs20" | "python3.12", over: Partial<FunctionSpec>): FunctionSpec {
    const sha = randomUUID().replace(/-/g, "").padEnd(64, "0");
    dirs.set(sha, fixtureDir(fixture));
    return fixtureSpec(fixture, runtime, { version: ++version, codeSha256: sha, maxInstances: 1, ...over });
  }

  test("nodejs20 on the fast channel, 4 per container: every line carries its own request id", async () => {
    const spec = deploy("node-log-mix", "nodejs20", { instanceConcurrency: 4 });
    await assertLogMix({ invoke: (r) => runner.invoke(r), read, spec, five: "five", idPrefix: "docker-node" });
  });

  test("python3.12 on the Runtime API, 1 per container: print, partial writes and logging, framed", async () => {
    const spec = deploy("python-log-mix", "python3.12", { protocol: "runtime-api" });
    await assertLogMix({ invoke: (r) => runner.invoke(r), read, spec, five: "INFO five", idPrefix: "docker-python" });
  });

  test("python3.12 on the fast channel, 4 per container (worker threads): every line carries its own request id", async () => {
    const spec = deploy("python-log-mix", "python3.12", { instanceConcurrency: 4 });
    await assertLogMix({ invoke: (r) => runner.invoke(r), read, spec, five: "INFO five", idPrefix: "docker-python-4" });
  });

  test("LogType: Tail from a container, and REPORT's memory from its cgroup", async () => {
    const spec = deploy("node-log-mix", "nodejs20", { instanceConcurrency: 1, memorySize: 256 });
    const o = await runner.invoke({ spec, requestId: "docker-tail", payload: Buffer.from('{"tag":"dt","gapMs":1,"allocMb":40}'), logTail: true });
    assert.equal(o.kind, "success", JSON.stringify(o));
    const lines = (o.logTail ?? "").trimEnd().split("\n");
    assert.equal(lines[0], `START RequestId: docker-tail Version: ${spec.version}`);
    assert.deepEqual(lines.slice(1, -2).sort(), ["five dt", "four dt", "one dt", "three dt", "two dt"]);
    assert.equal(lines.at(-2), "END RequestId: docker-tail");
    const used = Number(/\tMax Memory Used: (\d+) MB/.exec(lines.at(-1)!)?.[1]);
    assert.ok(used >= 40 && used <= 256, `the 40 MB the handler keeps count, within the limit: ${lines.at(-1)}`);
  });
});
