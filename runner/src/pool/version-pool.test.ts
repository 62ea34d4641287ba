/**
 * Scheduling behaviour of VersionPool against the in-memory FakeBackend.
 * Real processes are covered by runner/src/local-runner.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { FunctionSpec, InvokeOutcome } from "../../../protocol/invoke.ts";
import { BackendUnavailableError, InitError } from "../backends/backend.ts";
import { FakeBackend, FakeInstance, type FakeCommand, type FakeBackendOptions } from "../../../tests/support/fake-backend.ts";
import { functionSpec } from "../../../tests/support/function-spec.ts";
import { waitFor } from "../../../tests/support/wait-for.ts";
import { VersionPool, type VersionPoolOptions } from "./version-pool.ts";

/** The fake backend acts within milliseconds: poll tightly, and fail fast if it never does. */
const POLL = { timeoutMs: 2000, intervalMs: 2 };

function setup(
  specOver: Partial<FunctionSpec> = {},
  poolOver: Partial<VersionPoolOptions> = {},
  backendOpts: FakeBackendOptions = {},
) {
  const backend = new FakeBackend(backendOpts);
  const s = functionSpec(specOver);
  const pool = new VersionPool({
    spec: s,
    backend,
    codeDir: async () => "/code",
    maxInstances: 8,
    queueSize: 8,
    queueTimeoutMs: 5000,
    idleTimeoutMs: 60_000,
    ...poolOver,
  });
  let n = 0;
  const invoke = (cmd: FakeCommand = {}) =>
    pool.invoke({ spec: s, requestId: `req-${++n}`, payload: Buffer.from(JSON.stringify(cmd)) });
  return { backend, pool, invoke, spec: s };
}

function ok(o: InvokeOutcome): { instance: string; requestId: string } {
  assert.equal(o.kind, "success", JSON.stringify(o));
  return JSON.parse((o as { payload: Buffer }).payload.toString());
}

function failed(o: InvokeOutcome, code: string): string {
  assert.equal(o.kind, "platform-error", JSON.stringify(o));
  assert.equal((o as { code: string }).code, code, JSON.stringify(o));
  return (o as { message: string }).message;
}

test("reuses a warm instance: first invocation is a fresh cold start, the next one is warm", async () => {
  const { backend, pool, invoke } = setup();
  const first = await invoke();
  assert.equal(first.coldStart, true);
  assert.equal(first.start, "fresh");
  const second = await invoke();
  assert.equal(second.coldStart, false);
  assert.equal(second.start, "warm");
  assert.equal(ok(first).instance, ok(second).instance);
  assert.equal(backend.startCalls, 1);
  assert.deepEqual(pool.stats(), { key: pool.key, instances: 1, starting: 0, warmIdle: 1, inflight: 0, queued: 0, freeSlots: 1, held: 0 });
  await pool.close();
});

test("starts one instance per request for a burst with concurrency 1, in parallel", async () => {
  const { backend, pool, invoke } = setup({}, {}, { startDelayMs: 30 });
  const pending = [1, 2, 3, 4, 5].map(() => invoke({ hold: true }));
  await waitFor("5 invocations in flight", () => pool.stats().inflight === 5, POLL);
  assert.equal(backend.startCalls, 5);
  assert.equal(backend.maxConcurrentStarts, 5, "the starts ran in parallel");
  backend.openGate();
  const outcomes = await Promise.all(pending);
  assert.equal(new Set(outcomes.map((o) => ok(o).instance)).size, 5);
  assert.ok(outcomes.every((o) => o.coldStart === true && o.start === "fresh"));
  await pool.close();
});

test("a burst beyond the cap starts only cap instances and queues the rest, which then run warm", async () => {
  const { backend, pool, invoke } = setup({ maxInstances: 3 }, {}, { startDelayMs: 10 });
  const outcomes = await Promise.all([1, 2, 3, 4, 5].map(() => invoke({ sleepMs: 10 })));
  assert.equal(backend.startCalls, 3);
  assert.equal(outcomes.filter((o) => o.coldStart).length, 3);
  assert.equal(outcomes.filter((o) => o.start === "warm").length, 2);
  outcomes.forEach(ok);
  await pool.close();
});

test("with instanceConcurrency > 1, invocations are packed onto one instance before another starts", async () => {
  const { backend, pool, invoke } = setup({ instanceConcurrency: 4 }, {}, { startDelayMs: 10 });
  const four = [1, 2, 3, 4].map(() => invoke({ hold: true }));
  await waitFor("4 invocations on the first instance", () => backend.live()[0]?.inflight === 4, POLL);
  assert.equal(backend.startCalls, 1, "queued work waits for the starting instance");
  const fifth = invoke({ hold: true });
  await waitFor("a second instance running the fifth invocation", () => backend.startCalls === 2 && backend.live()[1]?.inflight === 1, POLL);
  backend.openGate();
  const outcomes = await Promise.all([...four, fifth]);
  assert.equal(new Set(outcomes.slice(0, 4).map((o) => ok(o).instance)).size, 1);
  assert.equal(backend.instances[0].maxInflight, 4);
  await pool.close();
});

test("specialises a stem from the StemSource when it has one, and starts fresh when it has none", async () => {
  const stemBackend = new FakeBackend();
  const stem = (await stemBackend.start({ runtime: "nodejs20", protocol: "fast", memorySize: 128 })) as FakeInstance;
  const stems = [stem];
  const { backend, pool, invoke, spec: s } = setup({}, { stems: { take: () => stems.pop() } });
  const held = [invoke({ hold: true }), invoke({ hold: true })];
  await waitFor("2 invocations in flight", () => pool.stats().inflight === 2, POLL);
  stemBackend.openGate();
  backend.openGate();
  const [a, b] = await Promise.all(held);
  assert.deepEqual([a.start, b.start].sort(), ["fresh", "stem"]);
  assert.ok(a.coldStart && b.coldStart);
  assert.equal(stem.spec, s, "the stem was specialised with the version's spec");
  assert.equal(backend.startCalls, 1);
  await pool.close();
  assert.equal(stem.alive, false, "the specialised stem belongs to the pool and is closed with it");
});

test("returns TooManyRequests when the queue at the instance cap is full", async () => {
  const { backend, pool, invoke } = setup({ maxInstances: 1 }, { queueSize: 2 });
  const running = invoke({ hold: true });
  await waitFor("1 invocation in flight", () => pool.stats().inflight === 1, POLL);
  const queued = [invoke(), invoke()];
  const rejected = await invoke();
  const msg = failed(rejected, "TooManyRequests");
  assert.match(msg, /instance cap \(1 instances busy, 2 invocations already queued\)/);
  assert.match(msg, /maxInstances/);
  assert.equal(pool.stats().queued, 2);
  backend.openGate();
  const [a, b, c] = await Promise.all([running, ...queued]);
  assert.equal(a.start, "fresh");
  assert.deepEqual([b.start, c.start], ["warm", "warm"]);
  await pool.close();
});

test("returns TooManyRequests when no instance frees up within the queue wait time", async () => {
  const { backend, pool, invoke } = setup({ maxInstances: 1 }, { queueTimeoutMs: 40 });
  const running = invoke({ hold: true });
  await waitFor("1 invocation on the instance", () => backend.live()[0]?.inflight === 1, POLL);
  const t0 = Date.now();
  const msg = failed(await invoke(), "TooManyRequests");
  assert.ok(Date.now() - t0 >= 35);
  assert.match(msg, /no instance became free within \d+ ms/);
  assert.match(msg, /HOTSWAP_QUEUE_TIMEOUT_MS/);
  assert.equal(pool.stats().queued, 0);
  backend.openGate();
  ok(await running);
  await pool.close();
});

test("a waiter covered by a slow cold start is not timed out by the queue timer", async () => {
  const { pool, invoke } = setup({}, { queueTimeoutMs: 10 }, { startDelayMs: 60 });
  const o = await invoke();
  ok(o);
  assert.equal(o.coldStart, true);
  await pool.close();
});

test("kills the instance when an invocation times out, returns TimeoutError, and starts a new one next time", async () => {
  const { backend, pool, invoke } = setup({ timeout: 0.05 });
  const first = ok(await invoke()).instance;
  const o = await invoke({ hold: true });
  assert.equal(failed(o, "TimeoutError"), "Task timed out after 0.05 seconds");
  const dead = backend.instances[0];
  assert.equal((await dead.exited).reason, "timeout");
  assert.equal(pool.stats().instances, 0);
  const next = await invoke();
  assert.equal(next.start, "fresh");
  assert.notEqual(ok(next).instance, first);
  await pool.close();
});

test("an invocation sharing an instance with one that timed out gets InstanceCrashed, not TimeoutError", async () => {
  const { backend, pool, invoke } = setup({ timeout: 0.08, instanceConcurrency: 2 });
  const expiring = invoke({ hold: true });
  await waitFor("1 invocation in flight", () => pool.stats().inflight === 1, POLL);
  await new Promise((r) => setTimeout(r, 30)); // stagger the deadlines: which one expires first is under test
  const bystander = invoke({ hold: true });
  assert.match(failed(await expiring, "TimeoutError"), /timed out after 0.08 seconds/);
  assert.match(failed(await bystander, "InstanceCrashed"), /another invocation on it timed out/);
  assert.equal(backend.startCalls, 1);
  await pool.close();
});

test("removes a crashed instance at once and replaces it on the next invocation", async () => {
  const { backend, pool, invoke } = setup();
  failed(await invoke({ crash: true }), "InstanceCrashed");
  await backend.instances[0].exited;
  assert.equal(pool.stats().instances, 0);
  const next = await invoke();
  assert.equal(next.coldStart, true);
  assert.equal(ok(next).instance, "fake-2");
  await pool.close();
});

test("reports OutOfMemory when the instance dies of OOM, for every invocation it was running", async () => {
  const { backend, pool, invoke } = setup({ instanceConcurrency: 2 });
  const held = invoke({ hold: true });
  await waitFor("1 invocation on the instance", () => backend.live()[0]?.inflight === 1, POLL);
  const oom = invoke({ oom: true });
  failed(await oom, "OutOfMemory");
  failed(await held, "OutOfMemory");
  await backend.instances[0].exited;
  assert.equal(pool.stats().instances, 0);
  await pool.close();
});

test("passes function errors through as function-error outcomes", async () => {
  const { pool, invoke } = setup();
  const o = await invoke({ fail: "boom" });
  assert.equal(o.kind, "function-error");
  assert.equal(JSON.parse((o as { payload: Buffer }).payload.toString()).errorMessage, "boom");
  await pool.close();
});

test("returns InitError with the handler's message and reuses it for a few seconds instead of restarting", async () => {
  const onStart = (n: number) => {
    if (n <= 2) throw new InitError("Cannot find module 'missing'", "Runtime.ImportModuleError");
  };
  const { backend, pool, invoke } = setup({}, { initErrorCacheMs: 50 }, { onStart });
  assert.equal(failed(await invoke(), "InitError"), "Cannot find module 'missing'");
  assert.equal(failed(await invoke(), "InitError"), "Cannot find module 'missing'");
  assert.equal(backend.startCalls, 1, "the cached error was reused");
  await new Promise((r) => setTimeout(r, 60)); // let the cache expire: the cache window itself is under test
  failed(await invoke(), "InitError");
  assert.equal(backend.startCalls, 2);
  await new Promise((r) => setTimeout(r, 60));
  ok(await invoke());
  await pool.close();
});

test("every invocation waiting on a failed start gets its error", async () => {
  const onStart = () => {
    throw new InitError("SyntaxError: Unexpected token");
  };
  const { pool, invoke } = setup({ instanceConcurrency: 3, maxInstances: 1 }, {}, { onStart, startDelayMs: 10 });
  const outcomes = await Promise.all([1, 2, 3, 4].map(() => invoke()));
  for (const o of outcomes) failed(o, "InitError");
  await pool.close();
});

test("maps BackendUnavailableError to its code", async () => {
  const onStart = () => {
    throw new BackendUnavailableError("python3.12 is not installed: apt-get install python3.12", "RuntimeUnavailable");
  };
  const { pool, invoke } = setup({}, {}, { onStart });
  assert.match(failed(await invoke(), "RuntimeUnavailable"), /not installed/);
  await pool.close();
});

test("stops instances idle longer than idleTimeoutMs and retires the empty pool", async () => {
  let emptied!: () => void;
  const onEmptyCalled = new Promise<void>((r) => (emptied = r));
  const { backend, pool, invoke } = setup({}, { idleTimeoutMs: 30, onEmpty: () => emptied() });
  await Promise.all([invoke(), invoke()]);
  assert.equal(pool.stats().instances, 2);
  const exits = await Promise.all(backend.instances.map((i) => i.exited));
  assert.deepEqual(
    exits.map((e) => e.reason),
    ["stopped", "stopped"],
  );
  await onEmptyCalled;
  assert.equal(pool.retired, true);
  assert.equal(pool.stats().instances, 0);
});

test("drain finishes in-flight and queued work, rejects new work, then stops every instance", async () => {
  const { backend, pool, invoke } = setup({ maxInstances: 1 });
  const running = invoke({ hold: true });
  const queued = invoke();
  await waitFor("1 invocation in flight and 1 queued", () => pool.stats().queued === 1 && pool.stats().inflight === 1, POLL);
  let drained = false;
  const draining = pool.drain().then(() => (drained = true));
  assert.match(failed(await invoke(), "ServiceUnavailable"), /runner is draining/);
  assert.equal(drained, false);
  backend.openGate();
  ok(await running);
  ok(await queued);
  await draining;
  assert.equal(backend.live().length, 0);
  assert.equal((await backend.instances[0].exited).reason, "stopped");
});

test("close kills running instances and answers queued invocations with ServiceUnavailable", async () => {
  const { backend, pool, invoke } = setup({ maxInstances: 1 });
  const running = invoke({ hold: true });
  await waitFor("1 invocation in flight", () => pool.stats().inflight === 1, POLL);
  const queued = invoke();
  await pool.close();
  failed(await queued, "ServiceUnavailable");
  failed(await running, "InstanceCrashed");
  assert.equal(backend.live().length, 0);
});

test("close during a cold start kills the instance when it lands", async () => {
  const { backend, pool, invoke } = setup({}, {}, { startDelayMs: 30 });
  const pending = invoke();
  await pool.close();
  failed(await pending, "ServiceUnavailable");
  assert.equal(backend.startCalls, 1);
  assert.equal(backend.live().length, 0);
});
