/**
 * Faults on the docker backend, through a LocalRunner as the control plane uses it: a timeout
 * kills the container (TimeoutError), the kernel OOM killer gives OutOfMemory read from the
 * container's state, a crash is an error and the container is replaced, a runtime that ignores
 * SIGTERM is killed after the grace, and an unreachable Docker daemon is a ServiceUnavailable that
 * names Docker while the process keeps running.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FunctionSpec, InvokeOutcome } from "../../protocol/invoke.ts";
import { BackendUnavailableError } from "../../runner/src/backends/backend.ts";
import { fixtureDir, fixtureSpec } from "../../runner/src/backends/backend.contract.ts";
import { HEAP_OOM } from "../../runner/src/backends/common/node-heap.ts";
import { DockerBackend, type DockerInstance } from "../../runner/src/backends/docker/index.ts";
import { LocalRunner } from "../../runner/src/local-runner.ts";
import { waitFor } from "../support/wait-for.ts";
import { docker, dockerSkipReason, testBackend, testRunnerId } from "./support.ts";

const PROBE = fileURLToPath(new URL("./fixtures/probe/", import.meta.url));
const skip = await dockerSkipReason();

/** Resolves when the container no longer exists; an error other than 404 from Docker fails at once. */
async function removed(id: string, ms = 15_000): Promise<void> {
  const gone = async () => {
    try {
      await docker.getContainer(id).inspect();
      return false;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return true;
      throw err;
    }
  };
  await waitFor(`container ${id.slice(0, 12)} to be removed`, gone, { timeoutMs: ms, intervalMs: 100, retryErrors: false });
}

/** The first `event` Docker reports for a container, from the events stream. */
async function dockerEvent(containerId: () => string | undefined, event: string): Promise<{ promise: Promise<string>; stop(): void }> {
  const stream = (await docker.getEvents({ filters: { type: ["container"], event: [event] } })) as NodeJS.ReadableStream & { destroy(): void };
  const promise = new Promise<string>((resolve) => {
    stream.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n").filter(Boolean)) {
        const e = JSON.parse(line) as { id?: string; Action?: string };
        if (e.id && e.id === containerId()) resolve(e.Action ?? event);
      }
    });
  });
  return { promise, stop: () => stream.destroy() };
}

describe("docker faults", { skip }, () => {
  let backend: DockerBackend;
  let runner: LocalRunner;
  let version = 0;
  const dirs = new Map<string, string>();

  before(async () => {
    backend = testBackend("faults", { stopGraceMs: 500 });
    runner = new LocalRunner({
      id: "faults",
      backend,
      codeCache: { ensure: async (sha) => dirs.get(sha)! },
      idleTimeoutMs: 60_000,
      maxInstancesPerVersion: 2,
      queueSize: 8,
      queueTimeoutMs: 10_000,
    });
  });
  after(async () => {
    await runner?.close();
  });

  function deploy(fixture: string, dir: string, over: Partial<FunctionSpec> = {}): FunctionSpec {
    const sha = randomUUID().replace(/-/g, "").padEnd(64, "0");
    dirs.set(sha, dir);
    return fixtureSpec(fixture, "nodejs20", { version: ++version, codeSha256: sha, ...over });
  }

  function invoke(spec: FunctionSpec, event: unknown): Promise<InvokeOutcome> {
    return runner.invoke({ spec, requestId: randomUUID(), payload: Buffer.from(JSON.stringify(event)) });
  }

  function liveContainer(spec: FunctionSpec): DockerInstance | undefined {
    return backend.liveInstances.find((i) => i.spec?.functionName === spec.functionName && i.spec.version === spec.version);
  }

  test("a timeout kills the container and answers TimeoutError; the next invocation gets a new container", async () => {
    const spec = deploy("node-sleep", fixtureDir("node-sleep"), { timeout: 1 });
    assert.equal((await invoke(spec, { ms: 10 })).kind, "success");
    const first = liveContainer(spec)!;
    const t0 = Date.now();
    const out = await invoke(spec, { ms: 30_000 });
    assert.equal(out.kind, "platform-error");
    assert.equal((out as { code: string }).code, "TimeoutError");
    assert.equal((out as { message: string }).message, "Task timed out after 1.00 seconds");
    assert.ok(Date.now() - t0 < 3000, "answered at the timeout, not when the handler finished");
    assert.equal((await first.exited).reason, "timeout");
    await removed(first.container.id);
    const next = await invoke(spec, { ms: 10 });
    assert.equal(next.kind, "success");
    assert.equal(next.coldStart, true);
    assert.notEqual(liveContainer(spec)!.container.id, first.container.id);
  });

  for (const [fixture, runtime, handler, event] of [
    ["node-oom", "nodejs20", "index.handler", { mode: "buffer" }],
    ["python-oom", "python3.12", "handler.handler", {}],
  ] as const) {
    test(`${runtime}: the kernel OOM killer ends the container and the invocation gets OutOfMemory from its state`, async () => {
      const spec = deploy(fixture, fixtureDir(fixture), { runtime, handler, memorySize: 128, timeout: 30 });
      let id: string | undefined;
      const oom = await dockerEvent(() => id, "oom");
      try {
        const pending = invoke(spec, event);
        // The instance starts inside invoke(); catch its container id as soon as it exists.
        id = await waitFor("the invocation's container", () => liveContainer(spec)?.container.id, { timeoutMs: 6000 });
        const inst = liveContainer(spec)!;
        const out = await pending;
        assert.equal(out.kind, "platform-error", JSON.stringify(out));
        assert.equal((out as { code: string }).code, "OutOfMemory");
        assert.match((out as { message: string }).message, /128 MB/);
        const exit = await inst.exited;
        assert.equal(exit.reason, "oom");
        assert.doesNotMatch(exit.stderrTail ?? "", HEAP_OOM, "the verdict came from Docker, not from a V8 message");
        assert.equal(await oom.promise, "oom", "Docker reported the container's OOM kill");
      } finally {
        oom.stop();
      }
    });
  }

  test("a crash answers InstanceCrashed with the exit code, and the container is replaced", async () => {
    const spec = deploy("probe", PROBE);
    const first = await invoke(spec, {});
    assert.equal(first.kind, "success");
    const process1 = JSON.parse((first as { payload: Buffer }).payload.toString()).processId;
    const crashed = liveContainer(spec)!;
    const out = await invoke(spec, { crash: 3 });
    assert.equal((out as { code: string }).code, "InstanceCrashed");
    assert.match((out as { message: string }).message, /code 3/);
    assert.match((out as { message: string }).message, /probe: exiting with code 3/);
    assert.equal((await crashed.exited).reason, "crash");
    await removed(crashed.container.id);
    const again = await invoke(spec, {});
    assert.equal(again.kind, "success");
    assert.equal(again.coldStart, true);
    assert.notEqual(JSON.parse((again as { payload: Buffer }).payload.toString()).processId, process1, "a new runtime process");
    assert.notEqual(liveContainer(spec)!.container.id, crashed.container.id, "in a new container");
  });

  test("stop() kills a runtime that ignores SIGTERM once the grace is over", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hs-docker-ignores-term-"));
    try {
      await writeFile(
        join(dir, "bootstrap"),
        `#!/bin/bash\ntrap '' TERM\nAPI="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"\nwhile true; do curl -sS -o /dev/null "$API/invocation/next" || sleep 1; done\n`,
      );
      await chmod(join(dir, "bootstrap"), 0o755);
      const spec = fixtureSpec("ignores-term", "provided");
      const inst = await backend.start({ runtime: "provided", protocol: "runtime-api", memorySize: 128, spec, codeDir: dir });
      const t0 = Date.now();
      await inst.stop(500);
      const took = Date.now() - t0;
      assert.equal((await inst.exited).reason, "stopped");
      assert.ok(took >= 450 && took < 5000, `killed after the 500 ms grace (took ${took} ms)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("docker daemon unreachable", () => {
  const socket = join(tmpdir(), `hs-no-docker-${randomUUID()}.sock`);

  test("start() rejects with ServiceUnavailable naming Docker and where it was looked for; runtimes() and healthCheck() say why", async () => {
    const backend = new DockerBackend({ runnerId: testRunnerId("unreachable"), dockerHost: `unix://${socket}`, network: "host" });
    try {
      await assert.rejects(backend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128, spec: fixtureSpec("node-cjs", "nodejs20"), codeDir: fixtureDir("node-cjs") }), (e: unknown) => {
        assert.ok(e instanceof BackendUnavailableError);
        assert.equal(e.code, "ServiceUnavailable");
        assert.match(e.message, /^Docker is unreachable at unix:\/\//);
        assert.ok(e.message.includes(socket));
        assert.match(e.message, /DOCKER_HOST/);
        return true;
      });
      await assert.rejects(backend.healthCheck(), /docker backend: Docker is unreachable/);
      for (const r of await backend.runtimes()) {
        assert.equal(r.available, false);
        assert.match(r.reason ?? "", /Docker is unreachable/);
      }
    } finally {
      await backend.close();
    }
  });

  test("through a LocalRunner, invocations get ServiceUnavailable and the runner keeps serving", async () => {
    const backend = new DockerBackend({ runnerId: testRunnerId("unreachable"), dockerHost: "tcp://127.0.0.1:1", network: "host" });
    const runner = new LocalRunner({
      id: "unreachable",
      backend,
      codeCache: { ensure: async () => fixtureDir("node-cjs") },
      idleTimeoutMs: 60_000,
      maxInstancesPerVersion: 2,
      queueSize: 8,
      queueTimeoutMs: 5000,
    });
    try {
      const spec = fixtureSpec("node-cjs", "nodejs20");
      for (let i = 0; i < 2; i++) {
        const out = await runner.invoke({ spec, requestId: randomUUID(), payload: Buffer.from("{}") });
        assert.equal(out.kind, "platform-error");
        assert.equal((out as { code: string }).code, "ServiceUnavailable");
        assert.match((out as { message: string }).message, /Docker is unreachable at tcp:\/\/127\.0\.0\.1:1/);
      }
      assert.equal(runner.status().state, "ready");
    } finally {
      await runner.close();
    }
  });
});
