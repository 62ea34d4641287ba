/**
 * StemPool: filling per runtime and memory size, take() matching, background refill, replacement
 * of stems that die while waiting, back-off on failing starts, close. The logic runs on the fake
 * backend; one test runs real stems on the process backend through a VersionPool (the docker
 * backend's run lives in tests/docker/).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { FunctionSpec } from "../../../protocol/invoke.ts";
import { BackendUnavailableError } from "../backends/backend.ts";
import { fixtureDir, fixtureSpec } from "../backends/backend.contract.ts";
import { ProcessBackend } from "../backends/process/process-backend.ts";
import { FakeBackend, type FakeInstance } from "../../../tests/support/fake-backend.ts";
import { waitFor } from "../../../tests/support/wait-for.ts";
import { StemPool } from "./stem-pool.ts";
import { VersionPool } from "./version-pool.ts";

function spec(over: Partial<FunctionSpec> = {}): FunctionSpec {
  return { ...fixtureSpec("node-cjs", "nodejs20"), memorySize: 256, ...over };
}

test("fills every available fast runtime to the pool size and starts stems without a spec", async () => {
  const backend = new FakeBackend();
  const stems = new StemPool({ backend, size: 2 });
  await stems.whenFull();
  assert.deepEqual(stems.stats(), [{ runtime: "nodejs20", memorySize: 256, ready: 2, starting: 0 }]);
  assert.equal(backend.startCalls, 2);
  for (const i of backend.instances) assert.equal(i.spec, undefined, "a stem carries no code");
  await stems.close();
  assert.ok(backend.instances.every((i) => !i.alive), "close kills the stems nobody took");
});

test("take() hands out a stem only for the same runtime, memory size and the fast protocol, then refills", async () => {
  const backend = new FakeBackend();
  const stems = new StemPool({ backend, size: 1, runtimes: ["nodejs20", "python3.12"], memorySizes: [256] });
  await stems.whenFull();
  assert.equal(stems.take(spec({ memorySize: 512 })), undefined, "another memory size");
  assert.equal(stems.take(spec({ protocol: "runtime-api" })), undefined, "runtime-api instances load code at start");
  assert.equal(stems.take(spec({ runtime: "provided" })), undefined, "provided has no stems");
  const py = stems.take(spec({ runtime: "python3.12", handler: "handler.handler" }));
  assert.equal(py?.runtime, "python3.12");
  const node = stems.take(spec());
  assert.equal(node?.runtime, "nodejs20");
  assert.equal(stems.take(spec()), undefined, "empty until the refill lands");
  await stems.whenFull();
  assert.equal(backend.startCalls, 4, "each taken stem was replaced");
  await stems.close();
  await backend.close();
});

test("a stem that dies while waiting is dropped and replaced", async () => {
  const backend = new FakeBackend();
  const stems = new StemPool({ backend, size: 1 });
  await stems.whenFull();
  const first = backend.instances[0] as FakeInstance;
  first.kill("killed");
  await first.exited;
  await waitFor("a replacement stem", () => backend.startCalls === 2 && stems.stats()[0].ready === 1, { intervalMs: 5 });
  const taken = stems.take(spec());
  assert.notEqual(taken, first);
  assert.ok(taken?.alive);
  await stems.close();
  await backend.close();
});

test("failing starts back off instead of retrying in a loop, and recover when the backend does", async () => {
  let failing = true;
  const backend = new FakeBackend({
    onStart: () => {
      if (failing) throw new BackendUnavailableError("Docker is unreachable", "ServiceUnavailable");
    },
  });
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (_o: object, msg: string) => void warnings.push(msg) };
  const stems = new StemPool({ backend, size: 1, retryDelayMs: 40, log });
  await stems.start();
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(backend.startCalls >= 2 && backend.startCalls <= 4, `40, 80 ms back-off: ${backend.startCalls} starts in 150 ms`);
  assert.equal(warnings.filter((w) => w === "stem start failed").length, 1, "one warning per failure streak");
  failing = false;
  // The retry timer is unref'd (a stem pool never keeps a runner alive): hold the loop open meanwhile.
  const keepAlive = setInterval(() => {}, 1000);
  await stems.whenFull();
  clearInterval(keepAlive);
  assert.ok(stems.take(spec())?.alive);
  await stems.close();
  await backend.close();
});

test("close() during starts kills the stems when they land and stops refilling", async () => {
  const backend = new FakeBackend({ startDelayMs: 30 });
  const stems = new StemPool({ backend, size: 3 });
  await stems.start();
  await stems.close();
  assert.equal(backend.startCalls, 3);
  assert.ok(backend.instances.every((i) => !i.alive));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(backend.startCalls, 3, "nothing is started after close");
});

test("on the process backend, a VersionPool's cold start specialises a real stem and reports start kind stem", async () => {
  const backend = new ProcessBackend();
  const stems = new StemPool({ backend, size: 1, runtimes: ["nodejs20"], memorySizes: [256] });
  const s = spec({ functionName: "stemmed" });
  const pool = new VersionPool({
    spec: s,
    backend,
    codeDir: async () => fixtureDir("node-cjs"),
    maxInstances: 2,
    queueSize: 4,
    queueTimeoutMs: 5000,
    idleTimeoutMs: 60_000,
    stems,
  });
  try {
    await stems.whenFull();
    const out = await pool.invoke({ spec: s, requestId: randomUUID(), payload: Buffer.from('{"x":1}') });
    assert.equal(out.kind, "success", JSON.stringify(out));
    assert.equal(out.start, "stem");
    assert.equal(out.coldStart, true);
    assert.equal(JSON.parse((out as { payload: Buffer }).payload.toString()).context.functionName, "stemmed");
    await stems.whenFull();
    assert.equal(stems.stats()[0].ready, 1, "the taken stem was replaced in the background");
  } finally {
    await pool.close();
    await stems.close();
    await backend.close();
  }
});

test("when the backend can run nothing yet, it asks again later and fills once it can", async () => {
  const backend = new FakeBackend();
  let up = false;
  const realRuntimes = backend.runtimes.bind(backend);
  backend.runtimes = async () => (up ? realRuntimes() : [{ id: "nodejs20" as const, available: false, reason: "Docker is unreachable at unix:///nowhere" }]);
  const stems = new StemPool({ backend, size: 1, retryDelayMs: 20 });
  await stems.start();
  assert.deepEqual(stems.stats(), []);
  up = true;
  const keepAlive = setInterval(() => {}, 1000);
  await stems.whenFull();
  clearInterval(keepAlive);
  assert.equal(stems.stats()[0].ready, 1);
  await stems.close();
});
